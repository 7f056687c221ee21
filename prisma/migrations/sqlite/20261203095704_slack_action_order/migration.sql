-- CreateTable
CREATE TABLE "SlackActionMark" (
    "flagKey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "slackTs" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    PRIMARY KEY ("flagKey", "kind")
);

-- CreateIndex
CREATE INDEX "SlackActionMark_at_idx" ON "SlackActionMark"("at");

-- CreateIndex
CREATE INDEX "OutboxMessage_resultTs_idx" ON "OutboxMessage"("resultTs");
