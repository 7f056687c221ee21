-- CreateTable
CREATE TABLE "HubspotWrite" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "ticketId" TEXT NOT NULL,
    "flagKey" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "value" TEXT,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HubspotWrite_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HubspotWrite_state_nextAttemptAt_idx" ON "HubspotWrite"("state", "nextAttemptAt");
