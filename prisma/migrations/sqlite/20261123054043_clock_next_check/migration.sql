-- AlterTable
ALTER TABLE "ClockState" ADD COLUMN "nextCheckAt" DATETIME;

-- CreateIndex
CREATE INDEX "ClockState_nextCheckAt_idx" ON "ClockState"("nextCheckAt");
