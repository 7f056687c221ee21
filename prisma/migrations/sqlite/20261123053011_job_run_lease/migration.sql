-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "scheduledFor" DATETIME;

-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "leaseUntil" DATETIME;

-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "attempt" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "late" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "JobRun_status_leaseUntil_idx" ON "JobRun"("status", "leaseUntil");
