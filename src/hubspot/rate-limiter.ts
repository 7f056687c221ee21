// Client-side rate limiting for HubSpot. HubSpot counts requests in a rolling window (N per 10 s, search about
// 5 per second), so the limiter keeps the send times of the last N requests and admits a new one only when the
// oldest has left the window. A token bucket refilling at N/10 s would also be within the limit, but it would
// give up the initial burst HubSpot allows; the rolling window uses the whole allowance and nothing more.

import type { Clock } from '../clock.ts';

export class RollingWindowLimiter {
  /** One slot per request in the window: `end` is when its answer came back (Infinity while in flight). */
  private slots: { end: number }[] = [];
  private pausedUntil = 0;
  readonly max: number;
  readonly windowMs: number;
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;
  private readonly marginMs: number;

  /**
   * @param max requests admitted per window
   * @param windowMs the window's length
   * @param marginMs added to the window, for timer granularity.
   *
   * A slot is dated by when the request's answer arrived, not when it was sent: HubSpot counts a request when it
   * receives it, which is somewhere between the two, and a busy event loop (a synchronous database write) can hold
   * a request back after the limiter let it go. Dating by the answer is always on the safe side.
   */
  constructor(max: number, windowMs: number, clock: Pick<Clock, 'now' | 'sleep'>, marginMs = 25) {
    this.max = max;
    this.windowMs = windowMs;
    this.clock = clock;
    this.marginMs = marginMs;
    if (!(max >= 1)) throw new RangeError('RollingWindowLimiter: max must be at least 1');
  }

  /**
   * Waits until a request may be sent and takes a slot. Call the returned function when the answer (or the
   * failure) arrives; until then the slot counts as occupying the window.
   */
  async acquire(): Promise<() => void> {
    for (;;) {
      const now = this.clock.now().getTime();
      if (now < this.pausedUntil) {
        await this.clock.sleep(this.pausedUntil - now);
        continue;
      }
      const horizon = now - this.windowMs - this.marginMs;
      this.slots = this.slots.filter((slot) => slot.end > horizon);
      if (this.slots.length < this.max) {
        const slot = { end: Number.POSITIVE_INFINITY };
        this.slots.push(slot);
        return () => {
          slot.end = this.clock.now().getTime();
        };
      }
      let oldest = Number.POSITIVE_INFINITY;
      for (const slot of this.slots) oldest = Math.min(oldest, slot.end);
      // Every slot still in flight: check again shortly.
      await this.clock.sleep(oldest === Number.POSITIVE_INFINITY ? 10 : oldest - horizon);
    }
  }

  /** After a 429: nobody sends until `until` (the server's window has to drain first). */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }
}
