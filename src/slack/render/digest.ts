// Pure Block Kit rendering of the daily digest and the weekly report. A digest that outgrows one message
// (50 blocks, ~11k characters of block text, 3,000 per section) is split into several, each valid on its
// own; later parts say they continue the first.
import type {
  TDigestModel,
  TFeedbackItem,
  TLikelyItem,
  TOwnerRef,
  TSilentItem,
  TWaitingItem,
} from '../../domain/digest.ts';
import { formatBusinessMinutes } from '../../domain/duration.ts';
import { agentSlaTable } from './agent-stats.ts';
import { agentSlaFallback, figuresText } from './agent-stats-format.ts';
import {
  type Block,
  CHART_LIMITS,
  context,
  dataTable,
  fallback,
  header,
  MAX_SECTION_TEXT,
  mrkdwn,
  type RenderedMessage,
  section,
  TABLE_LIMITS,
  tableChars,
  xyChart,
} from './blocks.ts';
import {
  AGENT_COLUMNS,
  agentsFallback,
  agentTableRows,
  allClearText,
  businessDays,
  CHART_TITLES,
  clockName,
  compareText,
  DIGEST_LIMITS,
  digestTitle,
  feedbackScore,
  formatChange,
  formatValue,
  lateText,
  notReadyText,
  numbersHeading,
  originText,
  silentHeading,
  type TLate,
  type TUpdated,
  trendDayLabel,
  trendFallback,
  updatedText,
  WEEK_METRICS,
  weekOverWeekFallback,
  withheldText,
} from './digest-format.ts';
import { cut, joinMd, link, type Mrkdwn, md, mention, safe, slackDate, truncate } from './mrkdwn.ts';
import { overdueText } from './nudge.ts';

export const DIGEST_MESSAGE_LIMITS = {
  maxBlocks: 50,
  /** Slack refuses messages somewhere past ~11.3k characters of block text (msg_blocks_too_long): stay well under. */
  maxChars: 10_000,
  /** Sections are cut below Slack's 3,000 so a line is never split mid-mention. */
  sectionChars: MAX_SECTION_TEXT - 100,
  /** Slack draws at most two charts in a message. */
  maxCharts: CHART_LIMITS.perMessage,
  /** Characters of table cells in one message (Slack's 10,000, and they count towards maxChars too). */
  maxTableChars: TABLE_LIMITS.chars,
} as const;

export interface RenderDigestOptions {
  /** The digest is sent after its time (a replica was down, or it waited for a sync): say so at the top. */
  late?: TLate | undefined;
  /** A correction of the day's digest, posted earlier: say when it was brought up to date. */
  updated?: TUpdated | undefined;
  limits?: Partial<Record<keyof typeof DIGEST_MESSAGE_LIMITS, number>>;
}

/** Blocks that must stay in the same message (a heading and its first lines). */
type Unit = Block[];

export function renderDigest(model: TDigestModel, options: RenderDigestOptions = {}): RenderedMessage[] {
  const limits = { ...DIGEST_MESSAGE_LIMITS, ...options.limits };
  const title = digestTitle(model);
  const late = lateText(options.late);
  const lateBlock = late ? section(md`:hourglass: *Late:* ${safe(late)}`, 'digest_late') : undefined;
  const updated = updatedText(options.updated);
  const updatedBlock = updated ? context(md`:arrows_counterclockwise: ${safe(updated)}`) : undefined;
  const notes = [...(lateBlock ? [lateBlock] : []), ...(updatedBlock ? [updatedBlock] : [])];

  if (model.allClear) {
    // One line, not silence: the team knows Heed looked and found nothing.
    const line = allClearText(model);
    return [
      {
        text: fallback(late ? md`${safe(line)} (late)` : safe(line)),
        blocks: [section(md`:white_check_mark: ${safe(line)}`, 'digest_all_clear'), ...notes],
      },
    ];
  }

  const units: Unit[] = [];
  units.push([header(title), ...notes]);
  units.push(numbersUnit(model));
  // Charts where a person would rather look than read; the numbers above and the message's text say the same.
  units.push(...chartUnits(model));
  if (model.kind === 'weekly') units.push(...weeklyAgentUnits(model));
  units.push(...waitingUnits(model, limits.sectionChars));
  units.push(...likelyUnits(model, limits.sectionChars));
  units.push(...silentUnits(model, limits.sectionChars));
  units.push(...feedbackUnits(model, limits.sectionChars));
  if (model.decline.length > 0) {
    units.push([
      section(
        md`:chart_with_downwards_trend: *Signs of decline*\n${joinMd(
          model.decline.map((d) => md`• ${safe(d.text)}`),
          '\n',
        )}`,
        'digest_decline',
      ),
    ]);
  }
  const origins = originsText(model);
  if (origins) units.push([section(origins, 'digest_origins')]);
  const thanks = thanksText(model);
  if (thanks) units.push([section(thanks, 'digest_thanks')]);
  units.push([
    context(
      md`Arrows compare with ${safe(model.comparedWith)}; charts and sparklines show the last 14 days. Times are business time. Generated ${slackDate(model.generatedAt)}.`,
    ),
  ]);

  const parts = pack(units, limits);
  const summary = summaryText(model);
  // Where charts and tables do not render (older clients, notifications, screen readers), the text says it.
  const visuals = visualsFallback(model);
  return parts.map((blocks, index) => {
    if (index === 0) {
      return { text: fallback(md`${late ? md`(Late) ` : md``}${safe(title)}: ${summary}${visuals}`), blocks };
    }
    const label = safe(`${title} (continued, part ${index + 1} of ${parts.length})`);
    return { text: fallback(label), blocks: [context(md`_${label}_`), ...blocks] };
  });
}

/** Characters of text a block carries, as Slack counts them towards the message's total. */
export function blockTextLength(block: Block): number {
  switch (block.type) {
    case 'section':
      return (block.text?.text.length ?? 0) + (block.fields ?? []).reduce((n, f) => n + f.text.length, 0);
    case 'header':
      return block.text.text.length;
    case 'context':
      return block.elements.reduce((n, e) => n + e.text.length, 0);
    case 'actions':
      return block.elements.reduce((n, e) => n + e.text.text.length, 0);
    case 'data_visualization':
      // Not known to count towards Slack's total, but counted: the title and every label are text.
      return (
        block.title.length +
        (block.chart.type === 'pie'
          ? block.chart.segments.reduce((n, s) => n + s.label.length, 0)
          : block.chart.axis_config.categories.reduce((n, c) => n + c.length, 0) +
            block.chart.series.reduce((n, s) => n + s.name.length, 0))
      );
    case 'data_table':
      return block.caption.length + tableChars(block);
    default:
      return 0;
  }
}

/** Greedy packing of units into messages; room is kept in later parts for their "continued" line. */
function pack(
  units: Unit[],
  limits: { maxBlocks: number; maxChars: number; maxCharts: number; maxTableChars: number },
): Block[][] {
  const continuation = { blocks: 1, chars: 200 };
  const parts: Block[][] = [];
  let blocks: Block[] = [];
  let chars = 0;
  let charts = 0;
  let cells = 0;
  for (const unit of units) {
    const size = unit.reduce((n, b) => n + blockTextLength(b), 0);
    const unitCharts = unit.filter((b) => b.type === 'data_visualization').length;
    const unitCells = unit.reduce((n, b) => n + tableChars(b), 0);
    const reserve = parts.length > 0 ? continuation : { blocks: 0, chars: 0 };
    const fits =
      blocks.length + unit.length + reserve.blocks <= limits.maxBlocks &&
      chars + size + reserve.chars <= limits.maxChars &&
      charts + unitCharts <= limits.maxCharts &&
      cells + unitCells <= limits.maxTableChars;
    if (!fits && blocks.length > 0) {
      parts.push(blocks);
      blocks = [];
      chars = 0;
      charts = 0;
      cells = 0;
    }
    blocks.push(...unit);
    chars += size;
    charts += unitCharts;
    cells += unitCells;
  }
  if (blocks.length > 0) parts.push(blocks);
  return parts;
}

/**
 * The daily digest: the 14-day trend of what waits on the team and what breached, and of the first-response
 * SLA met. The weekly report: this week against the week before, in counts and in SLA met. One unit per chart,
 * so no message carries more than Slack draws.
 */
function chartUnits(model: TDigestModel): Unit[] {
  const charts: Block[] = model.kind === 'weekly' ? weekCharts(model) : trendCharts(model);
  return charts.map((chart) => [chart]);
}

function trendCharts(model: TDigestModel): Block[] {
  const line = (metric: string) => model.numbers.find((n) => n.metric === metric);
  const labels = model.trendDays.map(trendDayLabel);
  const out: Block[] = [];
  const waiting = line('waiting');
  const breached = line('breached');
  if (waiting && breached && labels.length > 1) {
    out.push(
      xyChart(
        'line',
        CHART_TITLES.waitingAndBreached,
        {
          categories: labels,
          series: [
            { name: 'Waiting on us', values: waiting.trend.map((v) => v ?? 0) },
            { name: 'SLA breaches', values: breached.trend.map((v) => v ?? 0) },
          ],
          yLabel: 'tickets',
        },
        'digest_trend_waiting',
      ),
    );
  }
  // Days with no first-response clock decided have no percentage: they are left out rather than drawn as 0%.
  const met = line('frMetPct');
  if (met) {
    const days = labels.flatMap((_, i) => (met.trend[i] === null || met.trend[i] === undefined ? [] : [i]));
    if (days.length > 1) {
      out.push(
        xyChart(
          'line',
          CHART_TITLES.slaMet,
          {
            categories: days.map((i) => labels[i]!),
            series: [{ name: 'First response', values: days.map((i) => met.trend[i]!) }],
            yLabel: '% met',
          },
          'digest_trend_sla',
        ),
      );
    }
  }
  return out;
}

function weekCharts(model: TDigestModel): Block[] {
  const { thisWeek, weekBefore } = model.weekOverWeek;
  const out: Block[] = [
    xyChart(
      'bar',
      CHART_TITLES.weekCounts,
      {
        categories: WEEK_METRICS.counts.map((m) => m.label),
        series: [
          { name: 'This week', values: WEEK_METRICS.counts.map((m) => thisWeek[m.metric] ?? 0) },
          { name: 'The week before', values: WEEK_METRICS.counts.map((m) => weekBefore[m.metric] ?? 0) },
        ],
        yLabel: 'tickets',
      },
      'digest_week_counts',
    ),
  ];
  // A rate neither week measured is left out rather than drawn as 0%.
  const rates = WEEK_METRICS.rates.filter((m) => thisWeek[m.metric] !== null && weekBefore[m.metric] !== null);
  if (rates.length > 0) {
    out.push(
      xyChart(
        'bar',
        CHART_TITLES.weekSla,
        {
          categories: rates.map((m) => m.label),
          series: [
            { name: 'This week', values: rates.map((m) => thisWeek[m.metric]!) },
            { name: 'The week before', values: rates.map((m) => weekBefore[m.metric]!) },
          ],
          yLabel: '% met',
        },
        'digest_week_sla',
      ),
    );
  }
  return out;
}

/**
 * The weekly report's per-agent section: the team's SLA figures in a line, then a table of every agent's (met %
 * per clock, first-response median and p90, handled — what `/heed stats` shows); the message's text has them in
 * words. A report composed without them (agentSla absent) keeps the older first-reply table.
 */
function weeklyAgentUnits(model: TDigestModel): Unit[] {
  const sla = model.agentSla;
  if (!sla) return model.agents.length > 0 ? [[agentsTable(model)]] : [];
  const heading = section(
    md`:bar_chart: *SLA by agent, ${safe(model.period.label)}* — the team: ${safe(figuresText(sla.total))}`,
    'digest_agent_sla_team',
  );
  const table = agentSlaTable(
    sla,
    `SLA by agent, ${model.period.label} (${sla.agents.length} ${sla.agents.length === 1 ? 'agent' : 'agents'})`,
    'digest_agent_sla',
  );
  return [table ? [heading, table] : [heading]];
}

/** Per agent over the week: first replies, closed, waiting now (reports composed without agentSla). */
function agentsTable(model: TDigestModel): Block {
  return dataTable(
    `Per agent, ${model.period.label} (${model.agents.length} ${model.agents.length === 1 ? 'agent' : 'agents'})`,
    AGENT_COLUMNS,
    agentTableRows(model),
    { blockId: 'digest_agents', pageSize: 10, maxChars: 4000 },
  );
}

/** The charts' and the table's facts in words, for the message's fallback text. */
function visualsFallback(model: TDigestModel): Mrkdwn {
  const lines =
    model.kind === 'weekly'
      ? [weekOverWeekFallback(model), model.agentSla ? agentSlaFallback(model.agentSla) : agentsFallback(model)]
      : [trendFallback(model)];
  const present = lines.filter((l): l is string => l !== undefined);
  return present.length === 0
    ? md``
    : md`\n${joinMd(
        present.map((l) => safe(l)),
        '\n',
      )}`;
}

/** Lines into sections of at most `max` characters, the first one headed. */
function chunk(heading: Mrkdwn, lines: Mrkdwn[], max: number, blockId: string): Block[] {
  const out: Block[] = [];
  let current = heading;
  for (const raw of lines) {
    // Lines are bounded by their capped parts; this cut only guards the section limit should that ever fail.
    const line = cut(raw, max);
    const next = current ? md`${current}\n${line}` : line;
    if (next.length > max && current) {
      out.push(section(current, `${blockId}_${out.length}`));
      current = line;
    } else current = next;
  }
  if (current) out.push(section(current, `${blockId}_${out.length}`));
  return out;
}

function numbersUnit(model: TDigestModel): Unit {
  const heading = md`*${safe(numbersHeading(model))}* — compared with ${safe(model.comparedWith)}`;
  const fields = model.numbers.map((line) =>
    mrkdwn(
      md`*${safe(line.label)}*\n*${safe(formatValue(line, line.value))}*  ${safe(formatChange(line))}\n\`${safe(line.sparkline)}\``,
    ),
  );
  return [section(heading, 'digest_numbers_heading'), { type: 'section', block_id: 'digest_numbers', fields }];
}

export function ownerLabel(owner: TOwnerRef | null): Mrkdwn {
  if (!owner) return md`_unassigned_`;
  // An owner without a Slack user is named in plain text, never dropped.
  return owner.slackUserId ? mention(owner.slackUserId) : safe(owner.name, 80);
}

function waitingLine(item: TWaitingItem): Mrkdwn {
  // User text is capped after escaping (escaping can grow it fivefold), so a line's length is bounded.
  const subject = md`*${link(item.url ?? undefined, item.subject, 120)}*`;
  const customer = item.customer ? md` — ${safe(item.customer, 80)}` : md``;
  const clock = safe(clockName(item.clock));
  const timing =
    item.state === 'breached'
      ? md`${clock} *${overdueText(item.overdueMinutes, item.dueAt ?? undefined)}*`
      : md`${clock} due ${item.dueAt ? slackDate(item.dueAt) : md`soon`}`;
  const icon = item.state === 'breached' ? md`:rotating_light:` : md`:hourglass_flowing_sand:`;
  const claimed = item.claimedBy ? md` · :eyes: ${mention(item.claimedBy)} is on it` : md``;
  return md`${icon} ${subject}${customer} · ${timing} · ${ownerLabel(item.owner)}${claimed}`;
}

function likelyLine(item: TLikelyItem): Mrkdwn {
  const subject = md`*${link(item.url ?? undefined, item.subject, 120)}*`;
  const customer = item.customer ? md` — ${safe(item.customer, 80)}` : md``;
  return md`:crystal_ball: ${subject}${customer} · first response likely to breach at ${slackDate(item.breachAt)} unless someone picks it up · ${ownerLabel(item.owner)}`;
}

/** Calm tickets likely to breach at their owner's pace (predicted flags); nothing when there are none. */
function likelyUnits(model: TDigestModel, max: number): Unit[] {
  const items = model.likely;
  if (items.length === 0) return [];
  const limit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklyWaiting : DIGEST_LIMITS.dailyWaiting;
  const heading = md`*Likely to breach* — ${items.length} calm ticket${items.length === 1 ? md`` : md`s`} at the owner's recent pace (soonest first)`;
  const blocks = chunk(heading, items.slice(0, limit).map(likelyLine), max, 'digest_likely');
  const units: Unit[] = [blocks.slice(0, 1), ...blocks.slice(1).map((b) => [b])];
  if (items.length > limit) units[units.length - 1]!.push(context(md`…and ${items.length - limit} more.`));
  return units;
}

function waitingUnits(model: TDigestModel, max: number): Unit[] {
  const { items, breached, atRisk } = model.waiting;
  if (items.length === 0) return [[section(md`*Waiting now* — nothing breached or at risk. :tada:`, 'digest_waiting')]];
  const limit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklyWaiting : DIGEST_LIMITS.dailyWaiting;
  const shown = items.slice(0, limit).map(waitingLine);
  const heading = md`*Waiting now* — ${breached} breached, ${atRisk} at risk (most urgent first)`;
  const blocks = chunk(heading, shown, max, 'digest_waiting');
  const units: Unit[] = [blocks.slice(0, 1), ...blocks.slice(1).map((b) => [b])];
  if (items.length > limit) {
    units[units.length - 1]!.push(context(md`…and ${items.length - limit} more — type \`/slow\` to see them all.`));
  }
  return units;
}

function silentLine(item: TSilentItem): Mrkdwn {
  const subject = md`*${link(item.url ?? undefined, item.subject, 120)}*`;
  const customer = item.customer ? md` — ${safe(item.customer, 80)}` : md``;
  return md`:zzz: ${subject}${customer} · ${safe(item.stage, 60)} · silent ${safe(businessDays(item.silentDays))} (last move ${slackDate(item.since)}) · ${ownerLabel(item.owner)}`;
}

/** Silent tickets by stage, with an explicit "nothing silent" so the team knows Heed looked. */
function silentUnits(model: TDigestModel, max: number): Unit[] {
  const { items } = model.silent;
  const heading = safe(silentHeading(model));
  if (items.length === 0) return [[section(md`:white_check_mark: ${heading}`, 'digest_silent')]];
  const limit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklySilent : DIGEST_LIMITS.dailySilent;
  const blocks = chunk(md`:zzz: ${heading}`, items.slice(0, limit).map(silentLine), max, 'digest_silent');
  const units: Unit[] = [blocks.slice(0, 1), ...blocks.slice(1).map((b) => [b])];
  if (items.length > limit) units[units.length - 1]!.push(context(md`…and ${items.length - limit} more.`));
  return units;
}

function feedbackLine(item: TFeedbackItem): Mrkdwn {
  const who = item.contact ? md` from ${safe(item.contact, 80)}` : md``;
  const score = item.url ? link(item.url, feedbackScore(item), 40) : safe(feedbackScore(item), 40);
  const when =
    item.state === 'overdue'
      ? md`*follow-up overdue*`
      : item.dueAt
        ? md`follow up by ${slackDate(item.dueAt)}`
        : md`needs a follow-up`;
  const head = md`:speech_balloon: *${score}*${who} · submitted ${slackDate(item.submittedAt)} · ${when}`;
  if (!item.comment) return head;
  // One quoted line: safe() keeps a comment on one line, so it cannot end the quote and pose as Heed's own.
  return md`${head}\n>${safe(item.comment, DIGEST_LIMITS.commentChars)}`;
}

function feedbackUnits(model: TDigestModel, max: number): Unit[] {
  const { unanswered, detractors, lowCsat } = model.feedback;
  const totals = safe(
    `Detractors this week: ${compareText(detractors.now, detractors.before)} · Low CSAT: ${compareText(lowCsat.now, lowCsat.before)}`,
  );
  if (unanswered.length === 0) {
    return [[section(md`*Feedback* — every negative answer has been followed up.\n${totals}`, 'digest_feedback')]];
  }
  const limit = model.kind === 'weekly' ? DIGEST_LIMITS.weeklyFeedback : DIGEST_LIMITS.dailyFeedback;
  const overdue = unanswered.filter((f) => f.state === 'overdue').length;
  const heading = md`*Feedback* — ${unanswered.length} negative answer${unanswered.length === 1 ? md`` : md`s`} still unanswered${overdue ? md` (${overdue} overdue)` : md``}\n${totals}`;
  const blocks = chunk(heading, unanswered.slice(0, limit).map(feedbackLine), max, 'digest_feedback');
  const units: Unit[] = [blocks.slice(0, 1), ...blocks.slice(1).map((b) => [b])];
  if (unanswered.length > limit) {
    units[units.length - 1]!.push(
      context(md`…and ${unanswered.length - limit} more — type \`/unanswered\` to see them all.`),
    );
  }
  return units;
}

function originsText(model: TDigestModel): Mrkdwn | undefined {
  const { categories, sources } = model.origins;
  if (categories.length === 0 && sources.length === 0) return undefined;
  const list = (rows: typeof categories) =>
    joinMd(
      rows
        .slice(0, DIGEST_LIMITS.origins)
        .map((row) => safe(originText(model, { ...row, name: truncate(row.name, 60) }))),
      ' · ',
    );
  return md`*Where tickets come from*\nBy category: ${list(categories)}\nBy source: ${list(sources)}`;
}

function thanksText(model: TDigestModel): Mrkdwn | undefined {
  const { fastest, mostClosed } = model.thanks;
  const parts: Mrkdwn[] = [];
  if (fastest) {
    parts.push(
      md`fastest first replies — ${ownerLabel(fastest.owner)} (median ${safe(formatBusinessMinutes(fastest.medianMinutes))} over ${fastest.tickets} tickets; the team's ${safe(formatBusinessMinutes(fastest.teamMedianMinutes))})`,
    );
  }
  if (mostClosed) parts.push(md`most tickets closed — ${ownerLabel(mostClosed.owner)} (${mostClosed.count})`);
  return parts.length ? md`:raised_hands: *Thanks* to ${joinMd(parts, '; ')}.` : undefined;
}

/** The notification line: the headline numbers in words. */
function summaryText(model: TDigestModel): Mrkdwn {
  const value = (metric: string) => model.numbers.find((n) => n.metric === metric)?.value ?? 0;
  return md`${safe(model.period.label)}: ${value('new')} new, ${value('solved')} solved, ${value('waiting')} waiting on us; ${model.waiting.breached} breached and ${model.waiting.atRisk} at risk now${model.likely.length > 0 ? md` (${model.likely.length} more likely to breach)` : md``}; ${model.feedback.unanswered.length} negative feedback unanswered.`;
}

/** Stands in for the day's digest while Heed has not synced HubSpot since it started (see withheldText). */
export function renderDigestWithheld(facts: Parameters<typeof withheldText>[0]): RenderedMessage {
  const line = safe(withheldText(facts));
  return { text: fallback(line), blocks: [section(md`:warning: ${line}`, 'digest_withheld')] };
}

/** What a part of a digest that no longer needs it becomes when the digest is updated with fewer parts. */
export function renderDigestPartRetired(model: Pick<TDigestModel, 'kind' | 'team'>, updatedAt: Date): RenderedMessage {
  const line = md`${safe(digestTitle(model))}: this part belonged to an earlier version; the digest above was updated ${slackDate(updatedAt)}.`;
  return { text: fallback(md`${safe(digestTitle(model))} (part no longer needed)`), blocks: [context(line)] };
}

/** `/digest` while Heed has not synced HubSpot since it started (see notReadyText). */
export function renderDigestNotReady(startedAt: Date): RenderedMessage {
  const line = safe(notReadyText(startedAt));
  return {
    text: fallback(line),
    blocks: [section(md`:hourglass_flowing_sand: ${line}`, 'digest_not_ready')],
  };
}
