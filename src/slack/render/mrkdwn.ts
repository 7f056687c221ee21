// Small helpers for Slack's mrkdwn. Only `&`, `<` and `>` are control characters: escaping more
// (or HTML-encoding) would show entities to readers.

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * User text escaped and cut so the *escaped* form has at most `max` code points (escaping can grow
 * text fivefold, so cutting first is not enough to keep Block Kit limits).
 */
export function safe(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (Array.from(escaped).length <= max) return escaped;
  const points = Array.from(text);
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (Array.from(escapeMrkdwn(points.slice(0, mid).join(''))).length <= max - 1) lo = mid;
    else hi = mid - 1;
  }
  return `${escapeMrkdwn(points.slice(0, lo).join(''))}…`;
}

/** A link whose label is user text; the label also loses `|`, which would end it early. */
export function link(url: string | undefined, label: string, max = 150): string {
  const text = safe(label, max).replace(/\|/g, '¦');
  return url ? `<${url}|${text}>` : text;
}

export function mention(slackUserId: string): string {
  return `<@${slackUserId}>`;
}

/** Shown in each reader's own time zone; the fallback (UTC) is what notifications show. */
export function slackDate(at: Date, format = '{date_short_pretty} {time}'): string {
  const unix = Math.floor(at.getTime() / 1000);
  const fallback = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${unix}^${format}|${fallback}>`;
}

/** Cut to `max` code points, marking the cut, so limits hold for emoji-heavy text too. */
export function truncate(text: string, max: number): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** "3h 20m", "2d 4h", "45m": business minutes read better coarse than exact. */
// Business time is formatted by the domain's formatBusinessMinutes (hours and minutes, never days: a working
// day is not 24 h); this is for wall-clock time.
/** Wall-clock time: minutes, hours, then 24-hour days. */
export function formatMinutes(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  if (hours < 24) return rest ? `${hours}h ${rest}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${days}d ${h}h` : `${days}d`;
}
