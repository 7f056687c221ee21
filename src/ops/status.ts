// The facts behind `heed status` (shell) and `/heed status` (Slack): one function gathers them from the local
// database, so both answers always agree. Rendering for a terminal is here too; Slack renders its own blocks.
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { DigestRepo } from '../db/digest-repo.ts';
import { OpsRepo, type SyncRunFacts } from '../db/ops-repo.ts';
import { SyncCursorRepo } from '../db/sync-cursor-repo.ts';
import { compileSchedule, dailySchedule } from '../jobs/schedule.ts';
import { describeJournal, JOURNAL_CURSOR } from '../services/sync-journal.ts';
import { digestDelivery, digestKeyPrefix } from '../slack/digest-post.ts';

export type TeamStatus = {
  team: string;
  /** Every open flag: ticket clocks at risk or breached, and feedback awaiting a follow-up. */
  open: number;
  atRisk: number;
  breached: number;
  /** Negative feedback not followed up (pending + overdue). */
  feedback: number;
  feedbackOverdue: number;
  /** The next scheduled daily digest, when the team has digests on. */
  nextDigestAt: Date | undefined;
  lastDigest: { day: string; status: string; late: boolean } | undefined;
};

export type StatusFacts = {
  asOf: Date;
  provider: 'sqlite' | 'postgresql';
  lastSync: SyncRunFacts | undefined;
  /** The newest run with status ok (the same as lastSync when that one succeeded). */
  lastSuccessfulSync: SyncRunFacts | undefined;
  /** Tickets named by webhooks and not yet re-fetched. */
  pendingWebhookFetches: number;
  /** The webhooks journal reader's state in one line, when Heed reads one (a project app's credentials). */
  journal?: string | undefined;
  outbox: { depth: number; oldestCreatedAt: Date | undefined };
  lastEvaluation: { lastRunAt: Date; lastFullAt: Date | undefined } | undefined;
  teams: TeamStatus[];
};

export type StatusDeps = {
  db: Db;
  config: { policy: Pick<Config['policy'], 'teams' | 'calendars'> };
};

export async function collectStatus(deps: StatusDeps, now: Date): Promise<StatusFacts> {
  const repo = new OpsRepo(deps.db);
  const [lastSync, lastSuccessfulSync, pendingWebhookFetches, outbox, lastEvaluation, flags, digests, journal] =
    await Promise.all([
      repo.lastSyncRun(),
      repo.lastSuccessfulSync(),
      repo.pendingFetchCount(),
      repo.outboxDepth(),
      repo.lastEvaluation(),
      repo.openFlagCounts(),
      repo.lastDigests(),
      new SyncCursorRepo(deps.db).get(JOURNAL_CURSOR),
    ]);
  const teams = new Map<string, TeamStatus>();
  const entry = (team: string): TeamStatus => {
    let status = teams.get(team);
    if (!status) {
      status = {
        team,
        open: 0,
        atRisk: 0,
        breached: 0,
        feedback: 0,
        feedbackOverdue: 0,
        nextDigestAt: undefined,
        lastDigest: undefined,
      };
      teams.set(team, status);
    }
    return status;
  };
  for (const team of deps.config.policy.teams) {
    const status = entry(team.name);
    if (team.digest.enabled && team.digest.days.length > 0) {
      const timezone = deps.config.policy.calendars[team.calendar]?.timezone ?? 'UTC';
      status.nextDigestAt = compileSchedule(dailySchedule(team.digest.time, team.digest.days, timezone)).next(now)?.at;
    }
  }
  // Teams no longer in the policy still show while they have open flags: someone should look at those.
  for (const row of flags) {
    const status = entry(row.team);
    status.open += row.count;
    if (row.state === 'at_risk') status.atRisk += row.count;
    else if (row.state === 'breached') status.breached += row.count;
    else if (row.state === 'pending' || row.state === 'overdue') {
      status.feedback += row.count;
      if (row.state === 'overdue') status.feedbackOverdue += row.count;
    }
  }
  // A digest is `queued` in its DigestRun until someone settles it; what Slack has is in its parts' outbox rows,
  // so the status read from there is the true one (the run may have stopped waiting before Slack took it).
  const digestRepo = new DigestRepo(deps.db);
  for (const digest of digests) {
    const status = teams.get(digest.team);
    if (!status) continue;
    const delivered =
      digest.status === 'queued'
        ? digestDelivery(await digestRepo.digestOutbox(digestKeyPrefix(digest.team, digest.day))).status
        : digest.status;
    status.lastDigest = { day: digest.day, status: delivered, late: digest.late };
  }
  return {
    asOf: now,
    provider: deps.db.provider,
    lastSync,
    lastSuccessfulSync,
    pendingWebhookFetches,
    journal: describeJournal(journal, now.getTime()),
    outbox,
    lastEvaluation,
    teams: [...teams.values()],
  };
}

/** "2026-11-23 09:05 UTC" */
function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "3 min ago", "2 h 5 min ago", "4 d ago"; "in 12 min" for the future. */
export function relative(date: Date, now: Date): string {
  const minutes = Math.round((now.getTime() - date.getTime()) / 60_000);
  const span = Math.abs(minutes);
  const text =
    span < 1
      ? 'under a minute'
      : span < 60
        ? `${span} min`
        : span < 48 * 60
          ? `${Math.floor(span / 60)} h${span % 60 ? ` ${span % 60} min` : ''}`
          : `${Math.floor(span / 1440)} d`;
  return span < 1 ? 'just now' : minutes >= 0 ? `${text} ago` : `in ${text}`;
}

function describeRecords(records: Record<string, number>): string {
  const parts = Object.entries(records)
    .filter(([, count]) => count > 0)
    .map(([type, count]) => `${count} ${type}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

function describeRun(run: SyncRunFacts, now: Date): string {
  const when = run.finishedAt
    ? `finished ${utc(run.finishedAt)} (${relative(run.finishedAt, now)})`
    : `started ${utc(run.startedAt)} (${relative(run.startedAt, now)})`;
  return `${run.kind}, ${run.status}, ${when}; ${describeRecords(run.records)}`;
}

/**
 * `heed status` for a terminal: plain text, one fact per line. With `readiness`, a first line says whether this
 * Heed would pass /readyz, and why not.
 */
export function renderStatusText(
  facts: StatusFacts,
  readiness?: { status: 'ready' } | { status: 'not_ready'; reasons: readonly string[] },
): string {
  const now = facts.asOf;
  const lines = [`Heed status at ${utc(now)} (${facts.provider})`, ''];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(18)}${value}`);
  if (readiness) row('Ready', readiness.status === 'ready' ? 'yes' : `no: ${readiness.reasons.join('; ')}`);
  row('Last sync', facts.lastSync ? describeRun(facts.lastSync, now) : 'never');
  if (facts.lastSync?.error) row('  error', facts.lastSync.error.split('\n')[0]!.slice(0, 300));
  if (facts.lastSuccessfulSync && facts.lastSuccessfulSync.id !== facts.lastSync?.id) {
    row('Last good sync', describeRun(facts.lastSuccessfulSync, now));
  } else if (!facts.lastSuccessfulSync && facts.lastSync) {
    row('Last good sync', 'never');
  }
  row('Webhook fetches', `${facts.pendingWebhookFetches} pending`);
  if (facts.journal) row('Webhooks journal', facts.journal);
  row(
    'Slack outbox',
    facts.outbox.depth === 0
      ? 'empty'
      : `${facts.outbox.depth} queued, oldest since ${facts.outbox.oldestCreatedAt ? relative(facts.outbox.oldestCreatedAt, now).replace(' ago', '') : '?'}`,
  );
  row(
    'Last evaluation',
    facts.lastEvaluation
      ? `${utc(facts.lastEvaluation.lastRunAt)} (${relative(facts.lastEvaluation.lastRunAt, now)})`
      : 'never',
  );
  lines.push('', 'Teams:');
  if (facts.teams.length === 0) lines.push('  (none)');
  const width = Math.max(4, ...facts.teams.map((t) => t.team.length));
  for (const team of facts.teams) {
    const flags =
      team.open === 0
        ? 'no open flags'
        : `${team.open} open: ${team.atRisk} at risk, ${team.breached} breached, ${team.feedback} feedback${team.feedbackOverdue ? ` (${team.feedbackOverdue} overdue)` : ''}`;
    const digest = team.nextDigestAt
      ? `next digest ${utc(team.nextDigestAt)} (${relative(team.nextDigestAt, now)})`
      : 'digest off';
    const last = team.lastDigest
      ? `, last ${team.lastDigest.day} ${team.lastDigest.status}${team.lastDigest.late ? ' (late)' : ''}`
      : '';
    lines.push(`  ${team.team.padEnd(width)}  ${flags}; ${digest}${last}`);
  }
  return lines.join('\n');
}
