-- AlterTable
ALTER TABLE "ClockState" ADD COLUMN "nextCheckAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "ClockState_nextCheckAt_idx" ON "ClockState"("nextCheckAt");
