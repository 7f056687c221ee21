// The digest as readable terminal text, for `heed digest --dry-run`: the same content and wording as the
// Slack message, without markup; owners by name, dates in UTC.
import type { TDigestModel, TOwnerRef } from '../../domain/digest.ts';
import { formatBusinessMinutes } from '../../domain/duration.ts';
import { AGENT_SLA_COLUMNS, agentSlaTextRows, figuresText } from './agent-stats-format.ts';
import {
  AGENT_COLUMNS,
  agentTableRows,
  allClearText,
  businessDays,
  clockName,
  compareText,
  DIGEST_LIMITS,
  digestTitle,
  feedbackScore,
  formatChange,
  formatValue,
  lateText,
  numbersHeading,
  originText,
  silentHeading,
  type TLate,
  type TUpdated,
  updatedText,
  weekOverWeekFallback,
} from './digest-format.ts';
import { printable, stripUnprintable, truncate } from './mrkdwn.ts';

function person(owner: TOwnerRef | null): string {
  if (!owner) return 'unassigned';
  return owner.slackUserId ? `${clean(owner.name)} (@${owner.slackUserId})` : clean(owner.name);
}

/** One line, nothing that moves the terminal's cursor, changes its colours or reorders the text. */
const clean = printable;

/** Rows under a header, columns padded (text left, numbers right). */
function table(
  header: readonly string[],
  rows: readonly (readonly (string | number | { value: number; text: string })[])[],
): string[] {
  const cells = rows.map((row) =>
    row.map((c) => (typeof c === 'string' ? clean(truncate(c, 40)) : typeof c === 'number' ? String(c) : c.text)),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[], numeric: (i: number) => boolean) =>
    `  ${r.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  return [line(header, () => false), ...cells.map((r) => line(r, (i) => i > 0))];
}

export function renderDigestText(
  model: TDigestModel,
  options: { late?: TLate | undefined; updated?: TUpdated | undefined } = {},
): string {
  const out: string[] = [];
  // The team's own clock: "Tue 24 Nov, 11:00" in its calendar's zone, named once at the end.
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: model.timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const local = (at: Date) => format.format(at);
  const late = lateText(options.late);
  const updated = updatedText(options.updated);
  if (model.allClear) {
    out.push(allClearText(model));
    if (late) out.push(`Late: ${late}`);
    if (updated) out.push(updated);
    return `${stripUnprintable(out.join('\n'))}\n`;
  }
  const title = digestTitle(model);
  out.push(title, '='.repeat(Array.from(title).length));
  if (late) out.push(`Late: ${late}`);
  if (updated) out.push(updated);
  out.push('', `${numbersHeading(model)} — compared with ${model.comparedWith}`);
  const width = Math.max(...model.numbers.map((n) => n.label.length));
  for (const line of model.numbers) {
    out.push(
      `  ${line.label.padEnd(width)}  ${formatValue(line, line.value).padStart(8)}  ${line.sparkline}  ${formatChange(line)}`,
    );
  }

  if (model.kind === 'weekly') {
    out.push('', weekOverWeekFallback(model));
    if (model.agentSla) {
      out.push('', `SLA by agent — the team: ${figuresText(model.agentSla.total)}`);
      if (model.agentSla.agents.length > 0) out.push(...table(AGENT_SLA_COLUMNS, agentSlaTextRows(model.agentSla)));
    } else if (model.agents.length > 0) out.push('', 'Per agent', ...table(AGENT_COLUMNS, agentTableRows(model)));
  }

  const { items, breached, atRisk } = model.waiting;
  out.push('');
  if (items.length === 0) out.push('Waiting now: nothing breached or at risk.');
  else {
    out.push(`Waiting now: ${breached} breached, ${atRisk} at risk (most urgent first)`);
    const limit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklyWaiting : DIGEST_LIMITS.dailyWaiting;
    for (const item of items.slice(0, limit)) {
      const timing =
        item.state === 'breached'
          ? `${clockName(item.clock)} overdue by ${formatBusinessMinutes(item.overdueMinutes)}`
          : `${clockName(item.clock)} due ${item.dueAt ? local(item.dueAt) : 'soon'}`;
      const customer = item.customer ? ` — ${clean(truncate(item.customer, 80))}` : '';
      out.push(
        `  ${item.state === 'breached' ? '!!' : ' ~'} #${item.ticketId} ${clean(truncate(item.subject, 120))}${customer} · ${timing} · ${person(item.owner)}${item.claimedBy ? ` · @${item.claimedBy} is on it` : ''}`,
      );
    }
    if (items.length > limit) out.push(`  …and ${items.length - limit} more — /slow lists them all.`);
  }

  if (model.likely.length > 0) {
    out.push(
      '',
      `Likely to breach: ${model.likely.length} calm ticket${model.likely.length === 1 ? '' : 's'} at the owner's recent pace (soonest first)`,
    );
    const likelyLimit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklyWaiting : DIGEST_LIMITS.dailyWaiting;
    for (const item of model.likely.slice(0, likelyLimit)) {
      const customer = item.customer ? ` — ${clean(truncate(item.customer, 80))}` : '';
      out.push(
        `  ?? #${item.ticketId} ${clean(truncate(item.subject, 120))}${customer} · first response likely to breach at ${local(item.breachAt)} unless someone picks it up · ${person(item.owner)}`,
      );
    }
    if (model.likely.length > likelyLimit) out.push(`  …and ${model.likely.length - likelyLimit} more.`);
  }

  out.push('', silentHeading(model));
  const silentLimit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklySilent : DIGEST_LIMITS.dailySilent;
  for (const item of model.silent.items.slice(0, silentLimit)) {
    const customer = item.customer ? ` — ${clean(truncate(item.customer, 80))}` : '';
    out.push(
      `  zz #${item.ticketId} ${clean(truncate(item.subject, 120))}${customer} · ${clean(truncate(item.stage, 60))} · silent ${businessDays(item.silentDays)} (last move ${local(item.since)}) · ${person(item.owner)}`,
    );
  }
  if (model.silent.items.length > silentLimit) out.push(`  …and ${model.silent.items.length - silentLimit} more.`);

  const { unanswered, detractors, lowCsat } = model.feedback;
  // As the Slack message says it: the overdue ones counted in the heading.
  const overdueFeedback = unanswered.filter((f) => f.state === 'overdue').length;
  out.push('');
  out.push(
    unanswered.length === 0
      ? 'Feedback: every negative answer has been followed up.'
      : `Feedback: ${unanswered.length} negative answer${unanswered.length === 1 ? '' : 's'} still unanswered${overdueFeedback ? ` (${overdueFeedback} overdue)` : ''}`,
  );
  out.push(
    `  Detractors this week: ${compareText(detractors.now, detractors.before)} · Low CSAT: ${compareText(lowCsat.now, lowCsat.before)}`,
  );
  const feedbackLimit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklyFeedback : DIGEST_LIMITS.dailyFeedback;
  for (const item of unanswered.slice(0, feedbackLimit)) {
    const who = item.contact ? ` from ${clean(truncate(item.contact, 80))}` : '';
    const when =
      item.state === 'overdue'
        ? 'follow-up overdue'
        : item.dueAt
          ? `follow up by ${local(item.dueAt)}`
          : 'needs a follow-up';
    out.push(`  * ${clean(feedbackScore(item))}${who} · submitted ${local(item.submittedAt)} · ${when}`);
    if (item.comment) out.push(`    > ${clean(truncate(clean(item.comment), DIGEST_LIMITS.commentChars))}`);
  }
  if (unanswered.length > feedbackLimit)
    out.push(`  …and ${unanswered.length - feedbackLimit} more — /unanswered lists them all.`);

  if (model.decline.length > 0) {
    out.push('', 'Signs of decline');
    for (const signal of model.decline) out.push(`  - ${signal.text}`);
  }

  const { categories, sources } = model.origins;
  if (categories.length > 0 || sources.length > 0) {
    const list = (rows: typeof categories) =>
      rows
        .slice(0, DIGEST_LIMITS.origins)
        .map((row) => clean(originText(model, { ...row, name: truncate(row.name, 60) })))
        .join(' · ');
    out.push('', 'Where tickets come from', `  By category: ${list(categories)}`, `  By source: ${list(sources)}`);
  }

  const { fastest, mostClosed } = model.thanks;
  const thanks: string[] = [];
  if (fastest) {
    thanks.push(
      `fastest first replies — ${person(fastest.owner)} (median ${formatBusinessMinutes(fastest.medianMinutes)} over ${fastest.tickets} tickets; the team's ${formatBusinessMinutes(fastest.teamMedianMinutes)})`,
    );
  }
  if (mostClosed) thanks.push(`most tickets closed — ${person(mostClosed.owner)} (${mostClosed.count})`);
  if (thanks.length > 0) out.push('', `Thanks to ${thanks.join('; ')}.`);

  out.push(
    '',
    `Arrows compare with ${model.comparedWith}; sparklines show the last 14 days. Durations are business time; clock times are ${model.timeZone}. Generated ${local(model.generatedAt)}.`,
  );
  // Every line carries someone's text somewhere; none of it may reach the terminal as a control sequence.
  return `${stripUnprintable(out.join('\n'))}\n`;
}
