-- CreateTable
CREATE TABLE "HubspotWrite" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "ticketId" TEXT NOT NULL,
    "flagKey" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "value" TEXT,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "leaseUntil" DATETIME,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "HubspotWrite_state_nextAttemptAt_idx" ON "HubspotWrite"("state", "nextAttemptAt");
