// The nudge reconciler: given the flags the SLA engine raised or changed, make Slack match.
// - no nudge yet and the engine says level ≥ 1 → post one (a unique Nudge per flag key: never two per clock);
// - the rendered content changed (state, claim, snooze, handled, resolved) → chat.update in place;
// - level 2 due → a reply in the nudge's thread pinging the owner (+ a DM unless they muted Heed);
// - level 3 due → a post in the team's escalation channel linking back.
// Every write is an outbox intent recorded in the same transaction as the Nudge change, so running this
// again after a crash (or twice concurrently) neither loses nor repeats a message.
import { randomUUID } from 'node:crypto';
import type { FlagsReadRepo } from '../db/flags-read-repo.ts';
import type { Flag, Nudge, OutboxIntent, SlackRepo } from '../db/slack-repo.ts';
import { isWorkingTime } from '../domain/calendar.ts';
import type { Logger } from '../logger.ts';
import {
  isDone,
  renderEscalationPost,
  renderEscalationReply,
  renderNudge,
  renderOwnerDm,
} from '../slack/render/nudge.ts';
import { HEED_METADATA_EVENT } from './outbox.ts';
import type { SlackTeam } from './slack-teams.ts';
import { buildNudgeView, nudgeRenderHash, type ViewDeps } from './slack-views.ts';

export interface NudgeDeps extends ViewDeps {
  repo: SlackRepo;
  reads: FlagsReadRepo;
  logger: Logger;
}

export interface ReconcileSummary {
  posted: number;
  updated: number;
  replies: number;
  escalations: number;
  dms: number;
  /** New nudges or pings held back by quiet hours. */
  deferred: number;
}

function withMetadata(message: { text: string; blocks: unknown[] }, key: string): Record<string, unknown> {
  return {
    ...message,
    unfurl_links: false,
    unfurl_media: false,
    metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
  };
}

/** Outside the team's working time only urgent tickets may ping people (if the team keeps quiet hours). */
export function isQuiet(team: SlackTeam, priority: string | undefined, now: Date): boolean {
  if (!team.quietHours || priority?.toUpperCase() === 'URGENT') return false;
  return !isWorkingTime(now, team.calendar);
}

/**
 * Reconciles the given flags, or every open flag (keyset-paged) plus flags whose nudge still looks open.
 * Flags whose nudge is already up to date are skipped without loading their tickets.
 */
export async function reconcileNudges(deps: NudgeDeps, now: Date, onlyKeys?: string[]): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { posted: 0, updated: 0, replies: 0, escalations: 0, dms: 0, deferred: 0 };
  if (onlyKeys) {
    await reconcileFlags(deps, await deps.repo.flagsByKeys(onlyKeys), now, summary, false);
    return summary;
  }
  let after = '';
  for (;;) {
    const page = await deps.repo.openFlagsPage(after, 1000);
    if (page.length === 0) break;
    after = page[page.length - 1]!.key;
    await reconcileFlags(deps, page, now, summary, true);
  }
  await reconcileFlags(deps, await deps.repo.flagsWithStaleNudges(), now, summary, false);
  return summary;
}

/** Whether a flag may need Slack work: no nudge, changed since, a ladder step due, or a snooze just ended. */
function needsWork(flag: Flag, nudge: Nudge | undefined, now: Date): boolean {
  if (!nudge) return flag.escalationLevel >= 1;
  if (flag.updatedAt > nudge.updatedAt) return true;
  if (!flag.handledBy && Math.min(3, flag.escalationLevel) > nudge.level) return true;
  return flag.snoozedUntil !== null && flag.snoozedUntil <= now && flag.snoozedUntil > nudge.updatedAt;
}

async function reconcileFlags(
  deps: NudgeDeps,
  flags: Flag[],
  now: Date,
  summary: ReconcileSummary,
  skipFresh: boolean,
): Promise<void> {
  if (flags.length === 0) return;
  const nudges = new Map((await deps.repo.nudgesByFlagKeys(flags.map((f) => f.key))).map((n) => [n.flagKey, n]));
  const work = skipFresh ? flags.filter((f) => needsWork(f, nudges.get(f.key), now)) : flags;
  // Context in chunks: a first run after a long outage may see thousands of flags.
  for (let i = 0; i < work.length; i += 200) {
    const chunk = work.slice(i, i + 200);
    const ctx = await deps.reads.contextFor(chunk);
    for (const flag of chunk) {
      try {
        await reconcileOne(deps, flag, nudges.get(flag.key), ctx, now, summary);
      } catch (error) {
        deps.logger.error({ err: error, flagKey: flag.key }, 'nudge: reconciling a flag failed');
      }
    }
  }
}

async function reconcileOne(
  deps: NudgeDeps,
  flag: Flag,
  nudge: Nudge | undefined,
  ctx: Awaited<ReturnType<FlagsReadRepo['contextFor']>>,
  now: Date,
  summary: ReconcileSummary,
): Promise<void> {
  const team = deps.teams.find((t) => t.name === flag.team);
  if (!team) {
    deps.logger.warn(
      { flagKey: flag.key, team: flag.team },
      'nudge: flag belongs to a team not in the policy; skipped',
    );
    return;
  }
  const view = await buildNudgeView(flag, ctx, now, deps);
  const done = isDone(view);
  const hash = nudgeRenderHash(view);
  const nudgeState = view.handledBy !== undefined ? 'handled' : flag.state;
  const quiet = isQuiet(team, view.priority, now);
  const wanted = done ? 0 : Math.min(3, Math.max(0, flag.escalationLevel));

  if (!nudge) {
    if (done || wanted < 1) return;
    if (quiet) {
      summary.deferred++;
      return;
    }
    const intents: OutboxIntent[] = [
      {
        idempotencyKey: `nudge:${flag.key}:post`,
        kind: 'post',
        channel: team.channel,
        payload: withMetadata(renderNudge(view), `nudge:${flag.key}:post`),
      },
    ];
    const level = await escalationIntents(deps, team, flag, view, 1, wanted, team.channel, now, intents, summary);
    await deps.repo.applyNudgeChange(
      {
        nudge: { create: { flagKey: flag.key, channel: team.channel, state: nudgeState, level, renderHash: hash } },
        intents,
      },
      now,
    );
    summary.posted++;
    return;
  }

  const intents: OutboxIntent[] = [];
  const update: { id: string; state?: string; level?: number; renderHash?: string } = { id: nudge.id };
  if (nudge.renderHash !== hash || nudge.state !== nudgeState) {
    // chat.update replaces the whole message; each revision gets its own key (the hash alone could
    // repeat, e.g. handled → reopened → handled) and older queued revisions are superseded.
    intents.push({
      idempotencyKey: `nudge:${flag.key}:update:${randomUUID()}`,
      kind: 'update',
      channel: nudge.channel,
      payload: { ...renderNudge(view) },
    });
    Object.assign(update, { renderHash: hash, state: nudgeState });
    summary.updated++;
  }
  if (!done && wanted > nudge.level) {
    if (quiet) summary.deferred++;
    else
      update.level = await escalationIntents(
        deps,
        team,
        flag,
        view,
        nudge.level + 1,
        wanted,
        nudge.channel,
        now,
        intents,
        summary,
      );
  }
  if (intents.length === 0 && update.level === undefined) {
    if (flag.updatedAt > nudge.updatedAt) await deps.repo.touchNudge(nudge.id, now);
    return;
  }
  await deps.repo.applyNudgeChange({ nudge: { update }, intents }, now);
}

/** Intents for ladder steps `from`..`to`; returns the level reached. */
async function escalationIntents(
  deps: NudgeDeps,
  team: SlackTeam,
  flag: Flag,
  view: Awaited<ReturnType<typeof buildNudgeView>>,
  from: number,
  to: number,
  nudgeChannel: string,
  now: Date,
  intents: OutboxIntent[],
  summary: ReconcileSummary,
): Promise<number> {
  let level = from - 1;
  for (let step = Math.max(2, from); step <= to; step++) {
    if (step === 2) {
      const key = `nudge:${flag.key}:reply2`;
      intents.push({
        idempotencyKey: key,
        kind: 'reply',
        channel: nudgeChannel,
        payload: withMetadata(renderEscalationReply(view), key),
      });
      summary.replies++;
      const ownerId = view.owner?.slackUserId;
      const muted = ownerId ? await deps.repo.mutedUntil(ownerId) : undefined;
      if (ownerId && !(muted && muted > now)) {
        const dmKey = `nudge:${flag.key}:dm2`;
        intents.push({
          idempotencyKey: dmKey,
          kind: 'dm',
          channel: ownerId,
          payload: withMetadata(renderOwnerDm(view), dmKey),
        });
        summary.dms++;
      }
    } else if (step === 3) {
      if (team.escalationChannel) {
        const key = `nudge:${flag.key}:escalate3`;
        intents.push({
          idempotencyKey: key,
          kind: 'escalate',
          channel: team.escalationChannel,
          payload: withMetadata(renderEscalationPost(view, team.name), key),
        });
        summary.escalations++;
      } else {
        deps.logger.debug(
          { team: team.name, flagKey: flag.key },
          'nudge: level 3 due but the team has no escalationChannel',
        );
      }
    }
    level = step;
  }
  return Math.max(level, from === 1 ? 1 : level);
}
