-- CreateTable
CREATE TABLE "HubspotUser" (
    "id" TEXT NOT NULL,
    "ownerId" TEXT,
    "email" TEXT,
    "firstName" TEXT,
    "lastName" TEXT,
    "availabilityStatus" TEXT,
    "timeZone" TEXT,
    "jobTitle" TEXT,
    "workingHoursRaw" TEXT,
    "outOfOfficeRaw" TEXT,
    "scheduleReadable" BOOLEAN NOT NULL DEFAULT true,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "modifiedAt" TIMESTAMP(3) NOT NULL,
    "syncedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HubspotUser_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UserWorkingHours" (
    "userId" TEXT NOT NULL,
    "weekday" INTEGER NOT NULL,
    "startMinute" INTEGER NOT NULL,
    "endMinute" INTEGER NOT NULL,

    CONSTRAINT "UserWorkingHours_pkey" PRIMARY KEY ("userId", "weekday", "startMinute")
);

-- CreateTable
CREATE TABLE "UserOutOfOffice" (
    "userId" TEXT NOT NULL,
    "startsAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UserOutOfOffice_pkey" PRIMARY KEY ("userId", "startsAt")
);

-- CreateIndex
CREATE INDEX "HubspotUser_ownerId_idx" ON "HubspotUser"("ownerId");

-- CreateIndex
CREATE INDEX "HubspotUser_email_idx" ON "HubspotUser"("email");

-- CreateIndex
CREATE INDEX "UserOutOfOffice_endsAt_idx" ON "UserOutOfOffice"("endsAt");
