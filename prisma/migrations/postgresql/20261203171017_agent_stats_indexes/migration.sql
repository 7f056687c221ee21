-- CreateIndex
CREATE INDEX "ClockState_completedAt_idx" ON "ClockState"("completedAt");

-- CreateIndex
CREATE INDEX "Flag_handledAt_idx" ON "Flag"("handledAt");
