-- CreateTable
CREATE TABLE "Company" (
    "id" TEXT NOT NULL,
    "properties" TEXT NOT NULL DEFAULT '{}',
    "modifiedAt" TIMESTAMP(3) NOT NULL,
    "syncedAt" TIMESTAMP(3) NOT NULL,
    "changedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Company_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Contact" (
    "id" TEXT NOT NULL,
    "properties" TEXT NOT NULL DEFAULT '{}',
    "modifiedAt" TIMESTAMP(3) NOT NULL,
    "syncedAt" TIMESTAMP(3) NOT NULL,
    "changedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Company_changedAt_idx" ON "Company"("changedAt");

-- CreateIndex
CREATE INDEX "Contact_changedAt_idx" ON "Contact"("changedAt");

-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN "companyId" TEXT;

-- CreateIndex
CREATE INDEX "Ticket_companyId_idx" ON "Ticket"("companyId");
