-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "cover" TEXT;

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "coverCheckAt" DATETIME;
