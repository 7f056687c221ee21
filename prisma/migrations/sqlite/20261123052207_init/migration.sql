-- CreateTable
CREATE TABLE "Portal" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "uiDomain" TEXT NOT NULL,
    "timeZone" TEXT,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "HubspotTeam" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Owner" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT,
    "firstName" TEXT,
    "lastName" TEXT,
    "userId" TEXT,
    "type" TEXT NOT NULL,
    "teamIds" TEXT NOT NULL DEFAULT '[]',
    "primaryTeamId" TEXT,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Pipeline" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "label" TEXT NOT NULL,
    "displayOrder" INTEGER NOT NULL,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Stage" (
    "pipelineId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "displayOrder" INTEGER NOT NULL,
    "isClosed" BOOLEAN NOT NULL,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL,
    PRIMARY KEY ("pipelineId", "id")
);

-- CreateTable
CREATE TABLE "Ticket" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subject" TEXT,
    "pipelineId" TEXT,
    "stageId" TEXT,
    "priority" TEXT,
    "ownerId" TEXT,
    "hubspotTeamId" TEXT,
    "category" TEXT,
    "source" TEXT,
    "createdAt" DATETIME NOT NULL,
    "modifiedAt" DATETIME NOT NULL,
    "closedAt" DATETIME,
    "reopenedAt" DATETIME,
    "firstAgentReplyAt" DATETIME,
    "lastCustomerMessageAt" DATETIME,
    "lastAgentMessageAt" DATETIME,
    "lastMessageFromVisitor" BOOLEAN,
    "stageEnteredAt" DATETIME,
    "hsFirstResponseDueAt" DATETIME,
    "hsNextResponseDueAt" DATETIME,
    "hsCloseDueAt" DATETIME,
    "hsFirstResponseStatus" TEXT,
    "hsNextResponseStatus" TEXT,
    "hsCloseStatus" TEXT,
    "contactId" TEXT,
    "contactName" TEXT,
    "contactEmail" TEXT,
    "companyName" TEXT,
    "isClosed" BOOLEAN NOT NULL DEFAULT false,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "syncedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "TicketStagePeriod" (
    "ticketId" TEXT NOT NULL,
    "enteredAt" DATETIME NOT NULL,
    "stageId" TEXT NOT NULL,
    "exitedAt" DATETIME,
    PRIMARY KEY ("ticketId", "enteredAt")
);

-- CreateTable
CREATE TABLE "TicketMessage" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ticketId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "text" TEXT
);

-- CreateTable
CREATE TABLE "FeedbackSubmission" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "surveyType" TEXT NOT NULL,
    "value" REAL,
    "responseGroup" TEXT,
    "content" TEXT,
    "submittedAt" DATETIME NOT NULL,
    "surveyId" TEXT,
    "surveyName" TEXT,
    "channel" TEXT,
    "sentiment" TEXT,
    "contactId" TEXT,
    "contactName" TEXT,
    "contactEmail" TEXT,
    "ticketId" TEXT,
    "modifiedAt" DATETIME NOT NULL,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "syncedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SyncCursor" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SyncRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    "status" TEXT NOT NULL,
    "stats" TEXT NOT NULL DEFAULT '{}',
    "error" TEXT
);

-- CreateTable
CREATE TABLE "PendingFetch" (
    "objectType" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "queuedAt" DATETIME NOT NULL,
    PRIMARY KEY ("objectType", "objectId")
);

-- CreateTable
CREATE TABLE "ProcessedEvent" (
    "source" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    PRIMARY KEY ("source", "id")
);

-- CreateTable
CREATE TABLE "ClockState" (
    "ticketId" TEXT NOT NULL,
    "clock" TEXT NOT NULL,
    "cycle" INTEGER NOT NULL,
    "policy" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "dueAt" DATETIME,
    "completedAt" DATETIME,
    "targetMinutes" INTEGER NOT NULL,
    "usedMinutes" INTEGER NOT NULL,
    "overdueMinutes" INTEGER NOT NULL,
    "evaluatedAt" DATETIME NOT NULL,
    PRIMARY KEY ("ticketId", "clock")
);

-- CreateTable
CREATE TABLE "Flag" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "ticketId" TEXT,
    "feedbackId" TEXT,
    "clock" TEXT,
    "team" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "escalationLevel" INTEGER NOT NULL DEFAULT 0,
    "raisedAt" DATETIME NOT NULL,
    "dueAt" DATETIME,
    "breachedAt" DATETIME,
    "resolvedAt" DATETIME,
    "claimedBy" TEXT,
    "claimedAt" DATETIME,
    "handledBy" TEXT,
    "handledAt" DATETIME,
    "snoozedBy" TEXT,
    "snoozedUntil" DATETIME,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Nudge" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "flagKey" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "ts" TEXT,
    "state" TEXT NOT NULL,
    "level" INTEGER NOT NULL DEFAULT 0,
    "renderHash" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "OutboxMessage" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "idempotencyKey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "lastError" TEXT,
    "resultTs" TEXT,
    "nudgeId" TEXT,
    "createdAt" DATETIME NOT NULL,
    "sentAt" DATETIME
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '{}'
);

-- CreateTable
CREATE TABLE "SlackUser" (
    "email" TEXT NOT NULL PRIMARY KEY,
    "slackUserId" TEXT,
    "checkedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "UserSetting" (
    "slackUserId" TEXT NOT NULL PRIMARY KEY,
    "mutedUntil" DATETIME,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "JobLease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "leaseUntil" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "JobRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "job" TEXT NOT NULL,
    "runKey" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    "status" TEXT NOT NULL,
    "error" TEXT
);

-- CreateTable
CREATE TABLE "DigestRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "team" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "scheduledFor" DATETIME NOT NULL,
    "sentAt" DATETIME,
    "late" BOOLEAN NOT NULL DEFAULT false,
    "messageTs" TEXT
);

-- CreateTable
CREATE TABLE "DailyStat" (
    "team" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "value" REAL NOT NULL,
    PRIMARY KEY ("team", "day", "metric")
);

-- CreateIndex
CREATE INDEX "Owner_email_idx" ON "Owner"("email");

-- CreateIndex
CREATE INDEX "Ticket_modifiedAt_idx" ON "Ticket"("modifiedAt");

-- CreateIndex
CREATE INDEX "Ticket_isClosed_archived_idx" ON "Ticket"("isClosed", "archived");

-- CreateIndex
CREATE INDEX "Ticket_ownerId_idx" ON "Ticket"("ownerId");

-- CreateIndex
CREATE INDEX "Ticket_contactId_idx" ON "Ticket"("contactId");

-- CreateIndex
CREATE INDEX "TicketMessage_ticketId_createdAt_idx" ON "TicketMessage"("ticketId", "createdAt");

-- CreateIndex
CREATE INDEX "FeedbackSubmission_submittedAt_idx" ON "FeedbackSubmission"("submittedAt");

-- CreateIndex
CREATE INDEX "FeedbackSubmission_contactId_idx" ON "FeedbackSubmission"("contactId");

-- CreateIndex
CREATE INDEX "FeedbackSubmission_ticketId_idx" ON "FeedbackSubmission"("ticketId");

-- CreateIndex
CREATE INDEX "SyncRun_startedAt_idx" ON "SyncRun"("startedAt");

-- CreateIndex
CREATE INDEX "ProcessedEvent_receivedAt_idx" ON "ProcessedEvent"("receivedAt");

-- CreateIndex
CREATE INDEX "ClockState_team_state_idx" ON "ClockState"("team", "state");

-- CreateIndex
CREATE INDEX "Flag_team_state_idx" ON "Flag"("team", "state");

-- CreateIndex
CREATE INDEX "Flag_ticketId_idx" ON "Flag"("ticketId");

-- CreateIndex
CREATE INDEX "Flag_feedbackId_idx" ON "Flag"("feedbackId");

-- CreateIndex
CREATE UNIQUE INDEX "Nudge_flagKey_key" ON "Nudge"("flagKey");

-- CreateIndex
CREATE INDEX "Nudge_channel_ts_idx" ON "Nudge"("channel", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "OutboxMessage_idempotencyKey_key" ON "OutboxMessage"("idempotencyKey");

-- CreateIndex
CREATE INDEX "OutboxMessage_state_nextAttemptAt_idx" ON "OutboxMessage"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "OutboxMessage_channel_state_idx" ON "OutboxMessage"("channel", "state");

-- CreateIndex
CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");

-- CreateIndex
CREATE INDEX "AuditEntry_target_idx" ON "AuditEntry"("target");

-- CreateIndex
CREATE UNIQUE INDEX "JobRun_job_runKey_key" ON "JobRun"("job", "runKey");

-- CreateIndex
CREATE INDEX "JobRun_job_startedAt_idx" ON "JobRun"("job", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "DigestRun_team_day_key" ON "DigestRun"("team", "day");
