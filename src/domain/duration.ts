// Business durations as policies write them: "90m", "4h", "1h30m", "3d", "1d4h".
//
// What a business day `d` means: N working days later at the same position in the working day
// (Zammad/Zendesk style), not N × some average day length. A ticket that arrives at 10:00 with a "1d"
// target is due at 10:00 the next working day, whether that day is a short Friday, a split shift or a
// day after a holiday; measured against a fixed minute count it would drift to odd hours on short days,
// which nobody on a support team expects. The day part is resolved to a number of business minutes when a
// clock starts (see addBusinessTime), so pauses then extend the clock minute for minute.
import { AppError } from '../errors.ts';

export interface TBusinessDuration {
  /** Working days (same position in the working day, N working days later). */
  readonly days: number;
  /** Business minutes, added after the days. */
  readonly minutes: number;
}

const PATTERN = /^(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?$/i;

/** Parses "90m" | "4h" | "3d" | "1h30m" | "1d 4h"; throws CONFIG_INVALID otherwise (zero is not a target). */
export function parseBusinessDuration(text: string): TBusinessDuration {
  const trimmed = text.trim();
  const match = PATTERN.exec(trimmed);
  const days = Number(match?.[1] ?? 0);
  const minutes = Number(match?.[2] ?? 0) * 60 + Number(match?.[3] ?? 0);
  if (!match || trimmed === '' || (days === 0 && minutes === 0)) {
    throw new AppError('CONFIG_INVALID', `"${text}" is not a business duration.`, {
      fix: 'write minutes, hours or business days, e.g. "90m", "4h", "1h30m", "3d"',
    });
  }
  return { days, minutes };
}

/** Business minutes for people: 95 → "1h 35m", 0 → "0m". */
export function formatBusinessMinutes(minutes: number): string {
  const whole = Math.max(0, Math.round(minutes));
  const hours = Math.floor(whole / 60);
  const rest = whole % 60;
  if (hours === 0) return `${rest}m`;
  return rest === 0 ? `${hours}h` : `${hours}h ${rest}m`;
}
