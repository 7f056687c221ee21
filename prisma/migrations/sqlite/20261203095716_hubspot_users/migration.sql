-- CreateTable
CREATE TABLE "HubspotUser" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "modifiedAt" DATETIME NOT NULL,
    "syncedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "UserWorkingHours" (
    "userId" TEXT NOT NULL,
    "weekday" INTEGER NOT NULL,
    "startMinute" INTEGER NOT NULL,
    "endMinute" INTEGER NOT NULL,
    PRIMARY KEY ("userId", "weekday", "startMinute")
);

-- CreateTable
CREATE TABLE "UserOutOfOffice" (
    "userId" TEXT NOT NULL,
    "startsAt" DATETIME NOT NULL,
    "endsAt" DATETIME NOT NULL,
    PRIMARY KEY ("userId", "startsAt")
);

-- CreateIndex
CREATE INDEX "HubspotUser_ownerId_idx" ON "HubspotUser"("ownerId");

-- CreateIndex
CREATE INDEX "HubspotUser_email_idx" ON "HubspotUser"("email");

-- CreateIndex
CREATE INDEX "UserOutOfOffice_endsAt_idx" ON "UserOutOfOffice"("endsAt");
