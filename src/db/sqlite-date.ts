// The one SQLite DateTime formatter. Prisma's SQLite adapter stores a DateTime as ISO text ending `+00:00`
// (`2026-01-01T10:00:00.123+00:00`); raw SQL must write exactly that, or range filters miss the rows.

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** 9999-12-31T23:59:59.999Z + 1 ms: from here on the year has five digits and toISOString takes over. */
const YEAR_10000 = 253402300800000;

/**
 * An instant (a Date or epoch milliseconds) as Prisma's SQLite adapter stores it; null stays null.
 * Formatted by arithmetic (days → civil date, H. Hinnant's algorithm) rather than through
 * `new Date().toISOString()`: a backfill formats 15 dates per ticket and the Date round trip was a quarter of
 * the ingest time. Equivalence with toISOString is property-tested.
 */
export function sqliteDate(value: Date | number): string;
export function sqliteDate(value: Date | number | null | undefined): string | null;
export function sqliteDate(value: Date | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const ms = typeof value === 'number' ? value : value.getTime();
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000) return new Date(ms).toISOString().replace('Z', '+00:00');
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return `${String(year).padStart(4, '0')}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}.${PAD3[rest - second * 1000]}+00:00`;
}
