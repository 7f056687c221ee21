-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "claimedBy" TEXT;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "claimUntil" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "OutboxMessage_state_claimUntil_idx" ON "OutboxMessage"("state", "claimUntil");
