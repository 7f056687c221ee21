-- CreateTable
CREATE TABLE "Rollup" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "team" TEXT,
    "wave" INTEGER NOT NULL DEFAULT 1,
    "postId" TEXT,
    "renderHash" TEXT,
    "settled" BOOLEAN NOT NULL DEFAULT false,
    "lastAddedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Rollup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RollupEntry" (
    "rollupId" TEXT NOT NULL,
    "flagKey" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "addedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RollupEntry_pkey" PRIMARY KEY ("rollupId", "flagKey")
);

-- CreateTable
CREATE TABLE "BurstLock" (
    "scope" TEXT NOT NULL,
    "touchedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BurstLock_pkey" PRIMARY KEY ("scope")
);

-- CreateIndex
CREATE INDEX "Rollup_scope_createdAt_idx" ON "Rollup"("scope", "createdAt");

-- CreateIndex
CREATE INDEX "Rollup_settled_idx" ON "Rollup"("settled");

-- CreateIndex
CREATE INDEX "RollupEntry_flagKey_idx" ON "RollupEntry"("flagKey");

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "activeKey" TEXT;

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "team" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "postId" TEXT;

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "companionHash" TEXT;

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "pingedUser" TEXT;

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "retiredAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Nudge" ADD COLUMN "movedTo" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Nudge_activeKey_key" ON "Nudge"("activeKey");

-- CreateIndex
CREATE INDEX "Nudge_flagKey_idx" ON "Nudge"("flagKey");

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "resultChannel" TEXT;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "parentId" TEXT;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "budgetScope" TEXT;

-- CreateIndex
CREATE INDEX "OutboxMessage_parentId_idx" ON "OutboxMessage"("parentId");

-- CreateIndex
CREATE INDEX "OutboxMessage_budgetScope_createdAt_idx" ON "OutboxMessage"("budgetScope", "createdAt");

-- A flag may have several nudges now (one per team it was in); one of them is current.
DROP INDEX "Nudge_flagKey_key";

-- Every existing nudge is its flag's current one, in the team it was posted for (a flag that moved after its
-- nudge was posted: the team before the move, so the new team gets its own nudge and the old one says where
-- it went), with its own message.
UPDATE "Nudge" SET "activeKey" = "flagKey";
UPDATE "Nudge" SET "team" = COALESCE((
  SELECT CASE WHEN f."movedAt" IS NOT NULL AND f."movedFrom" IS NOT NULL AND "Nudge"."createdAt" < f."movedAt"
              THEN f."movedFrom" ELSE f."team" END
    FROM "Flag" f WHERE f."key" = "Nudge"."flagKey"), '');
UPDATE "Nudge" SET "postId" = (
  SELECT MIN(o."id") FROM "OutboxMessage" o WHERE o."nudgeId" = "Nudge"."id" AND o."kind" = 'post');

-- Where Slack put each message already sent: a nudge and its thread pings in the nudge's channel (its id once
-- posted), an escalation where it was queued. A DM's IM channel was never recorded.
UPDATE "OutboxMessage" SET "resultChannel" = (SELECT n."channel" FROM "Nudge" n WHERE n."id" = "OutboxMessage"."nudgeId")
 WHERE "state" = 'sent' AND "kind" IN ('post', 'reply') AND "nudgeId" IS NOT NULL;
UPDATE "OutboxMessage" SET "resultChannel" = "channel" WHERE "state" = 'sent' AND "kind" = 'escalate';

-- Queued thread pings, DMs, escalations and updates wait for their nudge's post, now named explicitly.
UPDATE "OutboxMessage" SET "parentId" = (
  SELECT MIN(p."id") FROM "OutboxMessage" p WHERE p."nudgeId" = "OutboxMessage"."nudgeId" AND p."kind" = 'post')
 WHERE "state" IN ('pending', 'retry', 'sending') AND "kind" IN ('reply', 'dm', 'escalate', 'update')
   AND "nudgeId" IS NOT NULL;
