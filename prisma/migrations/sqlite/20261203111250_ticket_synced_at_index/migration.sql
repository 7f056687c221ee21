-- CreateIndex
CREATE INDEX "Ticket_syncedAt_idx" ON "Ticket"("syncedAt");
