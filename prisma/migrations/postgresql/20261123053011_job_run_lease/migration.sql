-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "scheduledFor" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "leaseUntil" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "attempt" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "JobRun" ADD COLUMN "late" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "JobRun_status_leaseUntil_idx" ON "JobRun"("status", "leaseUntil");
