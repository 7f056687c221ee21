-- CreateTable
CREATE TABLE "ConversationThread" (
    "id" TEXT NOT NULL,
    "ticketId" TEXT NOT NULL,
    "contactId" TEXT,
    "inboxId" TEXT,
    "channelId" TEXT,
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "closedAt" TIMESTAMP(3),
    "latestMessageAt" TIMESTAMP(3),
    "messagesSyncedTo" TIMESTAMP(3),
    "syncedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ConversationThread_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ConversationThread_ticketId_idx" ON "ConversationThread"("ticketId");

-- CreateIndex
CREATE INDEX "ConversationThread_latestMessageAt_idx" ON "ConversationThread"("latestMessageAt");

-- AlterTable
ALTER TABLE "TicketMessage" ADD COLUMN "threadId" TEXT;

-- AlterTable
ALTER TABLE "TicketMessage" ADD COLUMN "type" TEXT NOT NULL DEFAULT 'MESSAGE';

-- AlterTable
ALTER TABLE "TicketMessage" ADD COLUMN "senderKind" TEXT NOT NULL DEFAULT 'unknown';

-- CreateIndex
CREATE INDEX "TicketMessage_threadId_idx" ON "TicketMessage"("threadId");

-- AlterTable
ALTER TABLE "ClockState" ADD COLUMN "source" TEXT NOT NULL DEFAULT 'properties';

-- AlterTable
ALTER TABLE "ClockState" ADD COLUMN "quoteText" TEXT;

-- AlterTable
ALTER TABLE "ClockState" ADD COLUMN "quoteAt" TIMESTAMP(3);

-- Messages written before senders were recorded: the direction says whose they were.
UPDATE "TicketMessage" SET "senderKind" = CASE WHEN UPPER("direction") LIKE 'IN%' THEN 'customer' ELSE 'agent' END;
