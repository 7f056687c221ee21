-- CreateIndex
CREATE INDEX "ClockState_state_clock_dueAt_idx" ON "ClockState"("state", "clock", "dueAt");
