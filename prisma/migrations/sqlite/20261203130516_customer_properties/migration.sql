-- CreateTable
CREATE TABLE "Company" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "properties" TEXT NOT NULL DEFAULT '{}',
    "modifiedAt" DATETIME NOT NULL,
    "syncedAt" DATETIME NOT NULL,
    "changedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Contact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "properties" TEXT NOT NULL DEFAULT '{}',
    "modifiedAt" DATETIME NOT NULL,
    "syncedAt" DATETIME NOT NULL,
    "changedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "Company_changedAt_idx" ON "Company"("changedAt");

-- CreateIndex
CREATE INDEX "Contact_changedAt_idx" ON "Contact"("changedAt");

-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN "companyId" TEXT;

-- CreateIndex
CREATE INDEX "Ticket_companyId_idx" ON "Ticket"("companyId");
