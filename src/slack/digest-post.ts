// Digest posting, Slack's side of the digest use case (src/services/digest.ts composes it): preview it, post it
// through the Slack outbox once per team and day, and correct the posted message in place later that day. The
// scheduler's handlers (waiting for the first sync since start) are in digest-jobs.ts.
import { randomUUID } from 'node:crypto';
import type { Config, TTeam } from '../config.ts';
import type { Db } from '../db/client.ts';
import { DigestRepo, type DigestRun, type DigestRunStatus, type OutboxMessage } from '../db/digest-repo.ts';
import type { TDigestKind, TDigestModel } from '../domain/digest.ts';
import { isoDateFromDay } from '../domain/time-zone.ts';
import { type BuildDigestOptions, buildDigest, type DigestDeps, findTeam, teamCalendar } from '../services/digest.ts';
import { HEED_METADATA_EVENT, type SlackApi } from './outbox.ts';
import type { RenderedMessage } from './render/blocks.ts';
import { renderDigest, renderDigestNotReady, renderDigestPartRetired } from './render/digest.ts';
import type { TLate } from './render/digest-format.ts';

/** What `/digest [team]` shows: the digest as it would be posted now, without posting it. */
export async function previewDigest(
  deps: DigestDeps,
  teamName: string | undefined,
  now: Date,
  options: BuildDigestOptions = {},
): Promise<{ model: TDigestModel; messages: RenderedMessage[] }> {
  const model = await buildDigest(deps, teamName, now, options);
  return { model, messages: renderDigest(model) };
}

/** The slice of the Slack outbox the digest needs (SlackRepo satisfies it). */
export interface DigestOutbox {
  enqueue(
    intent: {
      idempotencyKey: string;
      kind: 'post';
      channel: string;
      payload: Record<string, unknown>;
      notBefore?: Date | undefined;
    },
    now: Date,
  ): Promise<boolean>;
}

export interface PostDigestOptions extends BuildDigestOptions {
  /** Sent after its time: the message says so (and why, when the facts are given). */
  late?: boolean;
  /** No Heed was running when it was due (the scheduler caught it up). */
  wasDown?: boolean;
  /** Held back until the first HubSpot sync since start had finished (see digest-jobs.ts). */
  waitedForSync?: boolean;
  /**
   * When the day's digest was posted already: bring it up to date in place (chat.update of each part) instead
   * of answering 'already'. What `/digest post` and `heed digest` do; the scheduler never does.
   */
  correct?: boolean;
}

/**
 * queued: the day's digest is in the outbox now. already: it was posted before (nothing sent). updated: the
 * posted digest was corrected in place. on-its-way: it was posted before but Slack does not have every part yet,
 * so there is nothing to correct. update-failed: Slack refused a correction (`reason` says why).
 */
export type PostDigestStatus = 'queued' | 'already' | 'updated' | 'on-its-way' | 'update-failed';

export interface PostDigestResult {
  status: PostDigestStatus;
  team: string;
  /** DigestRun.day: the team's local date, prefixed `weekly:` for the weekly report. */
  day: string;
  channel: string;
  parts: number;
  run: DigestRun;
  /** Slack's error code when a correction was refused. */
  reason?: string | undefined;
}

/** DigestRun.day for a digest: daily and weekly reports of one date are separate runs. */
export function digestRunDay(kind: TDigestKind, runDay: string): string {
  return kind === 'weekly' ? `weekly:${runDay}` : runDay;
}

export function digestKeyPrefix(team: string, day: string): string {
  return `digest:${team}:${day}:`;
}

/** The message payload of one digest part, as the outbox posts it. */
function partPayload(message: RenderedMessage, key: string): Record<string, unknown> {
  return {
    text: message.text,
    blocks: message.blocks,
    unfurl_links: false,
    unfurl_media: false,
    // The outbox finds a post made just before a crash by this key in the channel's history.
    metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
  };
}

/**
 * Queues a digest's messages as its parts `from`… (part numbers start at 1; keys `<prefix><part>`), a
 * millisecond apart so the outbox, oldest first and one at a time per channel, keeps them in order.
 */
export async function queueDigestMessages(
  outbox: DigestOutbox,
  prefix: string,
  channel: string,
  messages: readonly RenderedMessage[],
  now: Date,
  from = 1,
): Promise<void> {
  for (let index = from - 1; index < messages.length; index++) {
    const key = `${prefix}${index + 1}`;
    const at = new Date(now.getTime() + index);
    await enqueueOnce(
      outbox,
      { idempotencyKey: key, kind: 'post', channel, payload: partPayload(messages[index]!, key), notBefore: at },
      at,
    );
  }
}

/** Where a team's digest of a kind goes, and the DigestRun day it is recorded under. */
export function digestTarget(
  config: Pick<Config, 'policy'>,
  team: TTeam,
  kind: TDigestKind,
  at: Date,
): { day: string; channel: string } {
  const calendar = teamCalendar(config, team);
  const day = digestRunDay(kind, isoDateFromDay(calendar.zone.localDay(at.getTime())));
  return { day, channel: kind === 'weekly' ? (team.escalationChannel ?? team.channel) : team.channel };
}

/**
 * Posts a team's digest through the outbox, once per (team, day): a second call — a retry, another replica,
 * the scheduled digest after `/digest post` — finds the DigestRun and posts nothing; with `correct` it updates
 * the posted message instead. The daily digest goes to the team's channel; the weekly report to its escalation
 * channel (the team channel when it has none).
 */
export async function postDigest(
  deps: DigestDeps & { outbox: DigestOutbox; slack?: SlackApi | undefined },
  teamName: string | undefined,
  now: Date,
  options: PostDigestOptions = {},
): Promise<PostDigestResult> {
  const team = findTeam(deps.config, teamName);
  const kind = options.kind ?? 'daily';
  const { day, channel } = digestTarget(deps.config, team, kind, options.scheduledFor ?? now);
  const repo = new DigestRepo(deps.db);
  const done = (run: DigestRun) =>
    options.correct
      ? correctDigest(deps, team, { kind, day, channel, run }, now, options)
      : Promise.resolve<PostDigestResult>({ status: 'already', team: team.name, day, channel, parts: 0, run });

  const existing = await repo.digestRun(team.name, day);
  if (existing && existing.status !== 'pending') return done(await settleRun(repo, existing));
  const late = options.late ?? false;
  const claim = await repo.claimDigestRun({
    id: randomUUID(),
    team: team.name,
    day,
    scheduledFor: options.scheduledFor ?? now,
    late,
  });
  if (!claim.created && claim.run.status !== 'pending') return done(await settleRun(repo, claim.run));
  // A run left `pending` by a crash is finished here: the parts already queued are skipped by their keys.
  const model = await buildDigest(deps, team.name, now, options);
  const lateFacts: TLate | undefined = claim.run.late
    ? {
        scheduledFor: claim.run.scheduledFor,
        ...(options.waitedForSync !== undefined ? { waitedForSync: options.waitedForSync } : {}),
        ...(options.wasDown !== undefined ? { wasDown: options.wasDown } : {}),
      }
    : undefined;
  const messages = renderDigest(model, { late: lateFacts });
  await queueDigestMessages(deps.outbox, digestKeyPrefix(team.name, day), channel, messages, now);
  const run = await repo.updateDigestRun(team.name, day, { status: 'queued' });
  return { status: 'queued', team: team.name, day, channel, parts: messages.length, run };
}

/**
 * Brings the day's posted digest up to date: a fresh evaluation, then chat.update of every part Slack has (a
 * part more is posted, a part fewer is retired with a one-line note). Called directly rather than through the
 * outbox, whose updates are tied to nudges: a correction is asked for by a person who gets the outcome at once
 * and can ask again, and chat.update of the same message twice is harmless.
 */
async function correctDigest(
  deps: DigestDeps & { outbox: DigestOutbox; slack?: SlackApi | undefined },
  team: TTeam,
  target: { kind: TDigestKind; day: string; channel: string; run: DigestRun },
  now: Date,
  options: PostDigestOptions,
): Promise<PostDigestResult> {
  const { kind, day, channel, run } = target;
  const result = (status: PostDigestStatus, parts = 0, reason?: string): PostDigestResult => ({
    status,
    team: team.name,
    day,
    channel,
    parts,
    run,
    ...(reason ? { reason } : {}),
  });
  const repo = new DigestRepo(deps.db);
  const prefix = digestKeyPrefix(team.name, day);
  const rows = await repo.digestOutbox(prefix);
  if (rows.length === 0 || !deps.slack) return result('already');
  const failed = rows.find((row) => row.state === 'failed');
  if (failed) return result('update-failed', 0, failed.lastError ?? 'Slack refused the digest when it was posted');
  if (rows.some((row) => row.state !== 'sent' || !row.resultTs)) return result('on-its-way');

  const model = await buildDigest(deps, team.name, now, { ...options, kind, scheduledFor: run.scheduledFor });
  const messages = renderDigest(model, { updated: { at: now, firstPostedAt: rows[0]!.sentAt } });
  try {
    for (const [index, row] of rows.entries()) {
      const message = messages[index] ?? renderDigestPartRetired(model, now);
      await deps.slack.apiCall('chat.update', {
        // The id Slack answered with: a team channel configured as "#name" was queued by name, and chat.update
        // takes only ids.
        channel: row.resultChannel ?? row.channel,
        ts: row.resultTs,
        text: message.text,
        blocks: message.blocks,
      });
    }
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    deps.logger?.warn({ err: error, team: team.name, day }, 'digest: Slack refused to update the posted digest');
    return result('update-failed', 0, code ?? (error instanceof Error ? error.message : String(error)));
  }
  if (messages.length > rows.length) {
    await queueDigestMessages(deps.outbox, prefix, channel, messages, now, rows.length + 1);
  }
  const status: DigestRunStatus = messages.length > rows.length ? 'queued' : 'sent';
  const updated = await repo.updateDigestRun(team.name, day, { status, messageTs: rows[0]!.resultTs });
  return { ...result('updated', messages.length), run: updated };
}

/**
 * Enqueues unless the key is already queued. Two attempts of one run racing (a replica taking over one that
 * was only slow) may both insert the same key: the loser's unique violation means "already queued".
 */
async function enqueueOnce(
  outbox: DigestOutbox,
  intent: Parameters<DigestOutbox['enqueue']>[0],
  now: Date,
): Promise<boolean> {
  try {
    return await outbox.enqueue(intent, now);
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') return false;
    throw error;
  }
}

/**
 * Where a queued digest stands according to its parts' outbox rows: `sent` once Slack has every part, `failed`
 * when Slack refused one for good, `queued` while any is on its way (or none is known).
 */
export function digestDelivery(rows: readonly Pick<OutboxMessage, 'state' | 'sentAt' | 'resultTs'>[]): {
  status: 'queued' | 'sent' | 'failed';
  sentAt: Date | null;
  messageTs: string | null;
} {
  if (rows.length === 0) return { status: 'queued', sentAt: null, messageTs: null };
  if (rows.some((r) => r.state === 'failed')) return { status: 'failed', sentAt: null, messageTs: null };
  if (!rows.every((r) => r.state === 'sent')) return { status: 'queued', sentAt: null, messageTs: null };
  const sentAt = rows.reduce<Date | null>((max, r) => (r.sentAt && (!max || r.sentAt > max) ? r.sentAt : max), null);
  return { status: 'sent', sentAt, messageTs: rows[0]!.resultTs };
}

async function settleRun(repo: DigestRepo, run: DigestRun): Promise<DigestRun> {
  if (run.status !== 'queued') return run;
  const delivery = digestDelivery(await repo.digestOutbox(digestKeyPrefix(run.team, run.day)));
  if (delivery.status === 'queued') return run;
  return repo.updateDigestRun(run.team, run.day, delivery);
}

/**
 * Brings a DigestRun up to date with its outbox rows: `sent` (with the first part's ts) once every part is
 * out, `failed` when Slack refused one for good. Returns the run, or undefined when there is none.
 */
export async function settleDigestRun(
  deps: Pick<DigestDeps, 'db'>,
  team: string,
  day: string,
): Promise<DigestRun | undefined> {
  const repo = new DigestRepo(deps.db);
  const run = await repo.digestRun(team, day);
  return run ? settleRun(repo, run) : undefined;
}

/**
 * A digest is true only once Heed has a fresh copy of HubSpot: a complete sync that began after `startedAt`
 * (the process start). Without HubSpot sync (no token) there is nothing to wait for.
 */
export interface DigestReadiness {
  readonly startedAt: Date;
  readonly requireSync: boolean;
}

export async function digestReady(db: Db, readiness: DigestReadiness | undefined): Promise<boolean> {
  if (!readiness?.requireSync) return true;
  return (await new DigestRepo(db).lastCompleteSyncStart(readiness.startedAt)) !== undefined;
}

export type SlackDigestPost =
  | PostDigestResult
  | { status: 'not-ready'; team: string; channel: string; parts: 0; startedAt: Date };

/**
 * What the `/digest` command needs (SlackServices.digestPreview and digestPost). `/digest post` posts the day's
 * digest, or — once it was posted — updates it in place with the present's numbers; the scheduled digest later
 * that day finds the DigestRun and posts nothing. Before the first sync since start, neither answers with numbers.
 */
export function digestForSlack(
  deps: DigestDeps & { outbox: DigestOutbox; slack?: SlackApi | undefined; readiness?: DigestReadiness | undefined },
): {
  digestPreview(team: string, now: Date): Promise<RenderedMessage[]>;
  digestPost(team: string, now: Date): Promise<SlackDigestPost>;
} {
  return {
    digestPreview: async (team, now) => {
      if (!(await digestReady(deps.db, deps.readiness))) return [renderDigestNotReady(deps.readiness!.startedAt)];
      return (await previewDigest(deps, team, now)).messages;
    },
    digestPost: async (team, now) => {
      if (!(await digestReady(deps.db, deps.readiness))) {
        const found = findTeam(deps.config, team);
        return {
          status: 'not-ready',
          team: found.name,
          channel: found.channel,
          parts: 0,
          startedAt: deps.readiness!.startedAt,
        };
      }
      return postDigest(deps, team, now, { correct: true });
    },
  };
}
