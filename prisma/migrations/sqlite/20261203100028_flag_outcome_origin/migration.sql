-- AlterTable
ALTER TABLE "Flag" ADD COLUMN "outcome" TEXT;

-- AlterTable
ALTER TABLE "Flag" ADD COLUMN "origin" TEXT NOT NULL DEFAULT 'live';

-- AlterTable
ALTER TABLE "Flag" ADD COLUMN "seenAt" DATETIME;

-- AlterTable
ALTER TABLE "Flag" ADD COLUMN "movedFrom" TEXT;

-- AlterTable
ALTER TABLE "Flag" ADD COLUMN "movedAt" DATETIME;

-- Flags a person had marked handled: that is why they are no longer open.
UPDATE "Flag" SET "outcome" = 'handled' WHERE "state" = 'handled';
