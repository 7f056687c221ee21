-- AlterTable
ALTER TABLE "UserSetting" ADD COLUMN "dailyList" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "UserSetting" ADD COLUMN "slackTimeZone" TEXT;
