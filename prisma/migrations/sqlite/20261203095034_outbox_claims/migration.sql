-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "claimedBy" TEXT;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "claimUntil" DATETIME;

-- CreateIndex
CREATE INDEX "OutboxMessage_state_claimUntil_idx" ON "OutboxMessage"("state", "claimUntil");
