// The nudge reconciler: given the flags the SLA engine raised or changed, make Slack match — calmly.
//
// The ladder (Flag.escalationLevel, decided by the flag machine) is carried out step by step, each step once:
//   1  the ticket appears: its own nudge in the team channel — or, for a `backlog` flag (late before Heed could
//      have noticed: a first start, an outage, a policy change), a line in the team's ONE backlog summary;
//   2  the owner is pinged: a reply in the nudge's thread and a DM (a backlog flag gets its own nudge now);
//   3  a post in the team's escalation channel.
// Burst budgets (policy `nudges`) cap what a channel or a person gets in any window: a step over budget is not
// sent on its own but listed in the scope's one "and N more" message, updated in place; a waiting ticket listed
// there tries again for its own message at its next step. So however many clocks become late at once, a channel
// gets at most its budget, and the leads channel never more.
//
// Every message about a ticket — the nudge, its thread ping, the DM, the escalation, its line in a summary —
// shows the ticket's current state and is updated in place (chat.update) when the ticket ends (answered,
// resolved, closed without a reply, deleted, handled), is reassigned, or moves team: the old team's messages
// then say where it went, and the new team gets its own nudge with its owner and its calendar's times.
//
// Every write is an outbox intent recorded in the same transaction as the Nudge change, so running this again
// after a crash (or twice concurrently) neither loses nor repeats a message.
import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_NUDGE_SETTINGS, type TNudgeSettings } from '../config.ts';
import type { FlagsReadRepo } from '../db/flags-read-repo.ts';
import type {
  Budget,
  BudgetPlan,
  Flag,
  Nudge,
  NudgeFields,
  OutboxIntent,
  OutboxMessage,
  Rollup,
  RollupRequest,
  SlackRepo,
} from '../db/slack-repo.ts';
import { addBusinessTime, isWorkingTime } from '../domain/calendar.ts';
import { claimStatus, currentClaim, DEFAULT_CLAIM_WITHIN, formatClaimWithin } from '../domain/claim.ts';
import type { TBusinessDuration } from '../domain/duration.ts';
import { type ClockName, OPEN_FLAG_STATES } from '../domain/flag.ts';
import type { Logger } from '../logger.ts';
import type { NudgeRouter } from './away-router.ts';
import { AWAY_TARGET, decideCover } from './nudge-cover.ts';
import { HEED_METADATA_EVENT } from './outbox.ts';
import type { ResolvedScope } from './queries.ts';
import {
  clockLabel,
  isDone,
  isFinal,
  renderClaimLapseReply,
  renderEscalationPost,
  renderEscalationReply,
  renderNudge,
  renderOwnerDm,
} from './render/nudge.ts';
import { type EndedKind, ROLLUP_LINES, type RollupKind, type RollupLine, renderRollup } from './render/rollup.ts';
import { endedKind, rollupKind, worstFirst } from './rollup-waiting.ts';
import type { SlackTeam } from './teams.ts';
import { buildNudgeView, companionHash, nudgeRenderHash, type ViewDeps } from './views.ts';

export interface NudgeDeps extends ViewDeps {
  repo: SlackRepo;
  reads: FlagsReadRepo;
  logger: Logger;
  /** Burst budgets and backlog waves (policy `nudges`); the defaults when absent. */
  settings?: TNudgeSettings | undefined;
  /** Away-aware routing (issue 15): an away owner's ping goes to a backup. Without it, always to the owner. */
  routing?: NudgeRouter | undefined;
  /** The claim timer's promise per SLA rule (policy `claimWithin`); 30m of business time when absent. */
  claims?: ClaimSettings | undefined;
}

/** The policy's claim timer for the reconciler: each rule's `claimWithin`, else the policy's. */
export function claimSettingsOf(policy: {
  claimWithin: TBusinessDuration;
  sla: readonly { name: string; claimWithin?: TBusinessDuration | undefined }[];
}): ClaimSettings {
  const byRule = new Map(policy.sla.map((r) => [r.name, r.claimWithin ?? policy.claimWithin]));
  // A lower bound only (a working day is at least an hour): it decides when to look, never what is shown.
  const all = [policy.claimWithin, ...byRule.values()];
  const minutes = Math.min(...all.map((d) => d.minutes + d.days * 60));
  return {
    within: (rule) => (rule !== undefined ? byRule.get(rule) : undefined) ?? policy.claimWithin,
    shortest: { days: 0, minutes },
    // An upper bound, component by component: no rule's promise ends later.
    longest: { days: Math.max(...all.map((d) => d.days)), minutes: Math.max(...all.map((d) => d.minutes)) },
  };
}

export interface ClaimSettings {
  /** The promise of a ticket under this SLA rule (undefined: a feedback flag, or a ticket no rule took). */
  within(rule: string | undefined): TBusinessDuration;
  /** The shortest promise of any rule: when a claim may first lapse. */
  shortest: TBusinessDuration;
  /** At least the longest promise of any rule: when a claim has certainly lapsed (or been kept). */
  longest: TBusinessDuration;
}

export interface ReconcileSummary {
  /** Nudges of their own queued (a ticket that moved team: the new team's). */
  posted: number;
  /** Messages updated in place: nudges, thread pings, DMs, escalations, summaries. */
  updated: number;
  replies: number;
  escalations: number;
  dms: number;
  /** New nudges or pings held back by quiet hours. */
  deferred: number;
  /** Nudges retired because their ticket moved team (their messages now say where it went). */
  moved: number;
  /** Flags listed in their team's backlog summary instead of a nudge of their own. */
  backlog: number;
  /** Steps over a burst budget, listed in an "and N more" message instead. */
  rolledUp: number;
  /** Backlog summaries and "and N more" messages queued. */
  summaries: number;
}

/** A summary with nothing done yet (callers that reconcile at several instants add them up). */
export const emptySummary = (): ReconcileSummary => ({
  posted: 0,
  updated: 0,
  replies: 0,
  escalations: 0,
  dms: 0,
  deferred: 0,
  moved: 0,
  backlog: 0,
  rolledUp: 0,
  summaries: 0,
});

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

export const channelScope = (channel: string) => `channel:${channel}`;
/** Predicted-breach nudges' own budget in a team channel (policy nudges.predictedPerChannel). */
export const predictedScope = (channel: string) => `predicted:${channel}`;
export const personScope = (slackUserId: string) => `person:${slackUserId}`;

/**
 * Reconciles the given flags, or every open flag (keyset-paged) plus flags whose nudge may be out of date; then
 * the backlog summaries and "and N more" messages those flags are listed in. Flags whose nudge is already up to
 * date are skipped without loading their tickets.
 */
export async function reconcileNudges(deps: NudgeDeps, now: Date, onlyKeys?: string[]): Promise<ReconcileSummary> {
  const summary = emptySummary();
  if (onlyKeys) {
    await reconcileFlags(deps, await deps.repo.flagsByKeys(onlyKeys), now, summary, false);
    await reconcileRollups(deps, await deps.repo.rollupsOfFlags(onlyKeys), now, summary);
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
  await reconcileRollups(deps, await deps.repo.unsettledRollups(), now, summary);
  return summary;
}

/** Whether a flag may need Slack work: no nudge, changed since, a ladder step due, or a snooze just ended. */
function needsWork(deps: NudgeDeps, flag: Flag, nudge: Nudge | undefined, now: Date): boolean {
  if (!nudge) return flag.escalationLevel >= 1;
  if (flag.updatedAt > nudge.updatedAt) return true;
  if (nudge.team !== '' && nudge.team !== flag.team) return true;
  if (!flag.handledBy && Math.min(3, flag.escalationLevel) > nudge.level) return true;
  // Someone covers for an away owner: check again whether they are back (or the backup went away).
  if (nudge.coverCheckAt !== null && nudge.coverCheckAt <= now) return true;
  if (claimMayHaveLapsed(deps, flag, nudge, now)) return true;
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
  const work = skipFresh ? flags.filter((f) => needsWork(deps, f, nudges.get(f.key), now)) : flags;
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

type Ctx = Awaited<ReturnType<FlagsReadRepo['contextFor']>>;
type View = Awaited<ReturnType<typeof buildNudgeView>>;

function settingsOf(deps: NudgeDeps): TNudgeSettings {
  return deps.settings ?? DEFAULT_NUDGE_SETTINGS;
}

/** A channel's budget: the leads' when any team escalates there (the smaller, if it is a team channel too). */
function channelLimit(deps: NudgeDeps, channel: string): number {
  const s = settingsOf(deps);
  return deps.teams.some((t) => t.escalationChannel === channel)
    ? Math.min(s.perChannel, s.perEscalationChannel)
    : s.perChannel;
}

async function reconcileOne(
  deps: NudgeDeps,
  flag: Flag,
  current: Nudge | undefined,
  ctx: Ctx,
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
  let view = withClaimTimer(deps, await buildNudgeView(flag, ctx, now, deps), flag, ctx, team, now);
  let nudge = current;
  if (nudge && nudge.team !== '' && nudge.team !== flag.team) {
    // The ticket moved team: the old team's messages say where it went; the new team gets its own nudge.
    await retire(deps, nudge, view, team, now, summary);
    nudge = undefined;
  }
  const done = isDone(view);
  const wanted = done ? 0 : Math.min(3, Math.max(0, flag.escalationLevel));
  // Away-aware routing: whom a ping goes to now (the owner, a backup, or the thread alone), shown in the messages.
  const routed = await decideCover(
    deps.routing,
    { flag, nudge, level: nudge ? levelOf(nudge, flag, done) : 0, wanted, done, ctx, view, team },
    now,
  );
  view = { ...view, ...routed.shown };
  const hash = nudgeRenderHash(view);
  const companions = companionHash(view);
  // What the nudge shows: how it ended once it ended (a handled ticket too), handled while someone says so.
  const nudgeState = flag.state === 'resolved' ? 'resolved' : view.handledBy !== undefined ? 'handled' : flag.state;
  const quiet = isQuiet(team, view.priority, now);

  if (!nudge) {
    if (done || wanted < 1) return;
    if (quiet) {
      summary.deferred++;
      return;
    }
    const id = randomUUID();
    const counts = emptySummary();
    const plan = await stepsPlan(
      deps,
      { flag, view, team, nudge: { id, postId: null, pingedUser: null }, target: routed.target },
      1,
      wanted,
      now,
      counts,
    );
    const result = await deps.repo.applyNudgeChange(
      {
        nudge: {
          create: {
            id,
            flagKey: flag.key,
            team: team.name,
            channel: team.channel,
            state: nudgeState,
            level: wanted,
            renderHash: hash,
            companionHash: companions,
            ...routed.fields,
          },
        },
        intents: [],
        budgets: plan,
      },
      now,
    );
    if (result.applied) addSummary(summary, counts);
    return;
  }

  const intents: OutboxIntent[] = [];
  const fields: NudgeFields = {};
  // Counted once written: another reconciler may have got there first.
  const counts = emptySummary();
  if (nudge.postId && (nudge.renderHash !== hash || nudge.state !== nudgeState)) {
    // chat.update replaces the whole message; each revision gets its own key (the hash alone could repeat,
    // e.g. handled → reopened → handled) and older queued revisions of the same message are superseded.
    intents.push({
      idempotencyKey: `nudge:${nudge.id}:update:${randomUUID()}`,
      kind: 'update',
      channel: nudge.channel,
      payload: { ...renderNudge(view) },
      parentId: nudge.postId,
    });
    counts.updated++;
  }
  if (nudge.renderHash !== hash || nudge.state !== nudgeState)
    Object.assign(fields, { renderHash: hash, state: nudgeState });
  if (nudge.companionHash !== companions) {
    // A nudge from before companions were tracked: its thread ping, DM and escalation are only rewritten once
    // there is news (the ticket ended), not all at once on upgrade.
    if (nudge.companionHash !== null || done) {
      const updates = companionUpdates(await deps.repo.companionsOf(nudge.id), nudge, view, routed.target);
      intents.push(...updates);
      counts.updated += updates.length;
    }
    fields.companionHash = companions;
  }
  let plan: BudgetPlan | undefined;
  // The ticket ended (answered, closed, deleted) and is open again: its ladder starts over — the owner is pinged
  // again, and the leads hear of it again if it stays late — rather than its old messages being edited back
  // without anyone being told.
  const level = levelOf(nudge, flag, done);
  if (level !== nudge.level) fields.level = 0;
  Object.assign(fields, routed.fields);
  // Whoever a ping goes to now (the owner, or who covers for them) and was not pinged yet is pinged; a claimer who
  // became the owner by their own claim (written back to HubSpot) is not pinged about it.
  const reping =
    !done && wanted >= 2 && level >= 2 && nudge.pingedUser !== null && routed.target
      ? routed.target !== nudge.pingedUser && routed.target !== currentClaim(flag)?.by
      : false;
  if (!done && (wanted > level || reping)) {
    if (quiet) summary.deferred++;
    else {
      // Only the new owner's ping when no step is due; otherwise the steps due (the ping going to whoever owns
      // it now).
      const [from, to] = wanted > level ? [level + 1, wanted] : [2, 2];
      plan = await stepsPlan(deps, { flag, view, team, nudge, target: routed.target }, from, to, now, counts, reping);
      fields.level = Math.max(wanted, level);
    }
  }
  const lapsePing = claimLapsePing(view, flag, nudge, hash);
  if (lapsePing) {
    intents.push(lapsePing);
    counts.replies++;
  }
  if (intents.length === 0 && !plan && Object.keys(fields).length === 0) {
    // Checked against its flag and ticket: nothing visible changed.
    const synced = flag.ticketId ? ctx.tickets.get(flag.ticketId)?.syncedAt : undefined;
    if (
      flag.updatedAt > nudge.updatedAt ||
      (synced && synced > nudge.updatedAt) ||
      claimSettled(deps, flag, ctx, team, now)
    )
      await deps.repo.touchNudge(nudge.id, now);
    return;
  }
  const result = await deps.repo.applyNudgeChange(
    { nudge: { update: { id: nudge.id, ...fields } }, intents, budgets: plan, expect: plan ? nudge : undefined },
    now,
  );
  if (result.applied) addSummary(summary, counts);
}

/** The nudge's level as the ladder sees it: 0 for a ticket reopened after it ended, its ladder starting over. */
function levelOf(nudge: Nudge, flag: Flag, done: boolean): number {
  const reopened = nudge.state === 'resolved' && !done && flag.raisedAt.getTime() > nudge.createdAt.getTime();
  return reopened ? 0 : nudge.level;
}

/** Adds `counts` into `into`, field by field. */
export function addSummary(into: ReconcileSummary, counts: ReconcileSummary): void {
  for (const key of Object.keys(into) as (keyof ReconcileSummary)[]) into[key] += counts[key];
}

/** Re-renders a nudge's thread ping, DM and escalation for the ticket's current state. */
function companionUpdates(
  rows: OutboxMessage[],
  nudge: Pick<Nudge, 'id' | 'team' | 'pingedUser'>,
  view: View,
  /** Who a ping would go to now (the owner, who covers for them, or AWAY_TARGET). */
  target: string | undefined = view.owner?.slackUserId,
): OutboxIntent[] {
  return rows.map((row) => {
    const recipient = recipientOf(row, nudge);
    const linked = row.parentId !== null;
    // A ping or DM not sent yet about a ticket that ended, moved, or is someone else's now notifies nobody: it is
    // withdrawn (an escalation stays: the leads' channel keeps its record, saying how the ticket ended).
    const claimer = claimLapseRecipient(row);
    // A claimer's ping is about their claim, not the ticket's owner: stale only once the ticket ended.
    const stale =
      isFinal(view) ||
      (claimer === undefined && recipient !== undefined && target !== undefined && recipient !== target);
    const whenUnsent = row.kind !== 'escalate' && stale ? ('withdraw' as const) : ('fold' as const);
    const rendered = claimer
      ? renderClaimLapseReply(view, claimer)
      : row.kind === 'reply'
        ? renderEscalationReply(view, recipient)
        : row.kind === 'dm'
          ? renderOwnerDm(view, recipient, linked)
          : renderEscalationPost(view, nudge.team || view.flagKey, linked);
    return {
      idempotencyKey: `nudge:${nudge.id}:update:${randomUUID()}`,
      kind: 'update',
      channel: row.channel,
      payload: { ...rendered },
      parentId: row.id,
      nudgeId: nudge.id,
      whenUnsent,
    };
  });
}

/** Who a thread ping or DM was for: a DM's user; a ping's from its key (`…:reply2:<user>`). */
function recipientOf(
  row: Pick<OutboxMessage, 'kind' | 'channel' | 'idempotencyKey'>,
  nudge: Pick<Nudge, 'pingedUser'>,
): string | undefined {
  if (row.kind === 'dm') return row.channel;
  if (row.kind !== 'reply') return undefined;
  // The thread alone, told that the owner and every backup are away: nobody was pinged.
  if (/:reply2:away(?::\d+)?$/.test(row.idempotencyKey)) return AWAY_TARGET;
  const user = /:reply2:([UW][A-Z0-9]+)(?::\d+)?$/.exec(row.idempotencyKey)?.[1];
  return user ?? (nudge.pingedUser === AWAY_TARGET ? undefined : (nudge.pingedUser ?? undefined));
}

/** Retires a nudge whose ticket moved team and rewrites its messages to say where it went. */
async function retire(deps: NudgeDeps, nudge: Nudge, view: View, to: SlackTeam, now: Date, summary: ReconcileSummary) {
  const moved: View = { ...view, movedTo: { team: to.name, channel: to.channel } };
  const intents: OutboxIntent[] = [];
  if (nudge.postId) {
    intents.push({
      idempotencyKey: `nudge:${nudge.id}:update:${randomUUID()}`,
      kind: 'update',
      channel: nudge.channel,
      payload: { ...renderNudge(moved) },
      parentId: nudge.postId,
      nudgeId: nudge.id,
    });
  }
  intents.push(...companionUpdates(await deps.repo.companionsOf(nudge.id), nudge, moved));
  // One transaction: retired together with the edits that say where it went, or not at all.
  if (!(await deps.repo.retireNudge(nudge.id, to.name, intents, now))) return;
  summary.moved++;
  summary.updated += intents.length;
}

interface StepSubject {
  flag: Flag;
  view: View;
  team: SlackTeam;
  nudge: Pick<Nudge, 'id' | 'postId' | 'pingedUser'> & { createdAt?: Date };
  /** Who the ping goes to (decideCover): the owner, who covers for them, or AWAY_TARGET (the thread alone). */
  target: string | undefined;
}

/**
 * The plan for ladder steps `from`..`to`, decided inside the nudge's transaction with its budgets held (see
 * SlackRepo.applyNudgeChange). `reping`: the owner changed after step 2 — the new owner is pinged too.
 */
async function stepsPlan(
  deps: NudgeDeps,
  subject: StepSubject,
  from: number,
  to: number,
  now: Date,
  counts: ReconcileSummary,
  reping = false,
): Promise<BudgetPlan> {
  const { flag, view, team, nudge } = subject;
  // A flag raised again after its nudge was made (the ticket reopened after it ended): its pings, DMs and
  // escalation are new messages, with keys of their own — the first cycle's keys would silently skip them.
  const cycle =
    nudge.createdAt && flag.raisedAt.getTime() > nudge.createdAt.getTime() ? `:${flag.raisedAt.getTime()}` : '';
  const settings = settingsOf(deps);
  // The person pinged: the owner, or who covers while they are away; nobody when everyone is away.
  const awayAll = subject.target === AWAY_TARGET;
  const ownerId = awayAll ? undefined : subject.target;
  const muted = ownerId ? await deps.repo.mutedUntil(ownerId) : undefined;
  const dmAllowed = ownerId !== undefined && !(muted && muted > now);
  const home = channelScope(team.channel);
  const limits: Record<string, number> = { [home]: channelLimit(deps, team.channel) };
  // A prediction has its own budget, and needs room in the channel's too (a storm of late tickets is never
  // joined by forecasts). No "and N more" for it: +1, as take() keeps the last slot for one.
  const predicted = flag.state === 'predicted';
  const forecast = predictedScope(team.channel);
  if (predicted) limits[forecast] = settings.predictedPerChannel + 1;
  if (to >= 2 && ownerId) limits[personScope(ownerId)] = settings.perPerson;
  if (to >= 3 && team.escalationChannel) {
    limits[channelScope(team.escalationChannel)] = channelLimit(deps, team.escalationChannel);
  }
  // A ticket that moved here is news for this team: its own nudge, not a line in a summary.
  const backlog = flag.origin === 'backlog' && flag.movedAt === null;
  return {
    windowMs: settings.windowMinutes * 60_000,
    limits,
    locks: backlog ? [`team:${team.name}`] : [],
    backlogGapMs: settings.backlogWaveGapMinutes * 60_000,
    decide(budget: Budget) {
      const step = { ...emptySummary() };
      const intents: OutboxIntent[] = [];
      const rollups: RollupRequest[] = [];
      const fields: NudgeFields = {};
      let posted = nudge.postId !== null;
      let tried = false;
      const overflow = (kind: RollupKind, scope: string, channel: string, at: number) => {
        rollups.push({
          kind: 'overflow',
          scope,
          channel,
          team: kind === 'channel' ? team.name : undefined,
          flagKey: flag.key,
          step: at,
        });
        step.rolledUp++;
      };
      for (let at = from; at <= to; at++) {
        if (at === 1 && backlog && to < 2) {
          rollups.push({
            kind: 'backlog',
            scope: `team:${team.name}`,
            channel: team.channel,
            team: team.name,
            flagKey: flag.key,
            step: 1,
          });
          step.backlog++;
          continue;
        }
        // Its own message: when it appears, or (listed in a summary or "and N more" so far) at its next step.
        if (!posted && !tried) {
          tried = true;
          if (predicted) {
            // Over either budget: not listed anywhere; the nudge stays at level 0 and tries again next run (its
            // at-risk nudge comes at warnAt in any case).
            if (!budget.hasRoom(home) || !budget.take(forecast)) {
              fields.level = 0;
              step.deferred++;
              continue;
            }
            const key = `nudge:${nudge.id}:post`;
            intents.push({
              idempotencyKey: key,
              kind: 'post',
              channel: team.channel,
              payload: withMetadata(renderNudge(view), key),
              budgetScope: forecast,
            });
            posted = true;
            step.posted++;
          } else if (budget.take(home)) {
            const key = `nudge:${nudge.id}:post`;
            intents.push({
              idempotencyKey: key,
              kind: 'post',
              channel: team.channel,
              payload: withMetadata(renderNudge(view), key),
              budgetScope: home,
            });
            posted = true;
            step.posted++;
          } else overflow('channel', home, team.channel, at);
        }
        if (at === 2 || (reping && at === from)) ping(at);
        if (at === 3) escalate();
      }
      addSummary(counts, step);
      return { intents, rollups, nudge: fields };

      function ping(at: number): void {
        if (awayAll) {
          // The owner and every backup are away: the thread says so, and nobody is pinged or messaged.
          fields.pingedUser = AWAY_TARGET;
          if (posted) {
            const key = `nudge:${nudge.id}:reply2:away${reping && at === from ? `:${now.getTime()}` : cycle}`;
            intents.push({
              idempotencyKey: key,
              kind: 'reply',
              channel: team.channel,
              payload: withMetadata(renderEscalationReply(view, AWAY_TARGET), key),
            });
            step.replies++;
          }
          return;
        }
        if (!ownerId) {
          // Nobody to notify: the thread says so (no budget: it pings no one).
          if (posted) {
            const key = `nudge:${nudge.id}:reply2`;
            intents.push({
              idempotencyKey: key,
              kind: 'reply',
              channel: team.channel,
              payload: withMetadata(renderEscalationReply(view), key),
            });
            step.replies++;
          }
          return;
        }
        fields.pingedUser = ownerId;
        const scope = personScope(ownerId);
        if (!posted && !dmAllowed) return; // muted, and no thread to mention them in
        if (!budget.take(scope)) {
          if (dmAllowed) overflow('person', scope, ownerId, at);
          return;
        }
        // A ping after a reassignment is news even for someone pinged before (Carol → Bob → Carol): its own key.
        const again = reping && at === from ? `:${now.getTime()}` : cycle;
        if (posted) {
          const key = `nudge:${nudge.id}:reply2:${ownerId}${again}`;
          intents.push({
            idempotencyKey: key,
            kind: 'reply',
            channel: team.channel,
            payload: withMetadata(renderEscalationReply(view, ownerId), key),
            budgetScope: dmAllowed ? undefined : scope,
          });
          step.replies++;
        }
        if (dmAllowed) {
          const key = `nudge:${nudge.id}:dm2:${ownerId}${again}`;
          intents.push({
            idempotencyKey: key,
            kind: 'dm',
            channel: ownerId,
            payload: withMetadata(renderOwnerDm(view, ownerId, posted), key),
            parentId: posted ? undefined : null,
            budgetScope: scope,
          });
          step.dms++;
        }
      }

      function escalate(): void {
        const channel = team.escalationChannel;
        if (!channel) {
          deps.logger.debug(
            { team: team.name, flagKey: flag.key },
            'nudge: level 3 due but the team has no escalationChannel',
          );
          return;
        }
        const scope = channelScope(channel);
        if (!budget.take(scope)) {
          overflow('escalation', scope, channel, 3);
          return;
        }
        const key = `nudge:${nudge.id}:escalate3${cycle}`;
        intents.push({
          idempotencyKey: key,
          kind: 'escalate',
          channel,
          payload: withMetadata(renderEscalationPost(view, team.name, posted), key),
          parentId: posted ? undefined : null,
          budgetScope: scope,
        });
        step.escalations++;
      }
    },
  };
}

// ─────────────────────────────────────────────────────────────────────────────── summaries and "and N more"

async function reconcileRollups(deps: NudgeDeps, rollups: Rollup[], now: Date, summary: ReconcileSummary) {
  for (const rollup of rollups) {
    try {
      await reconcileRollup(deps, rollup, now, summary);
    } catch (error) {
      deps.logger.error({ err: error, rollup: rollup.id }, 'nudge: updating a summary failed');
    }
  }
}

/** Posts a rollup once it has its first flags, and updates it in place whenever what it lists changes. */
async function reconcileRollup(deps: NudgeDeps, rollup: Rollup, now: Date, summary: ReconcileSummary) {
  const entries = await deps.repo.rollupEntries(rollup.id);
  if (entries.length === 0) return;
  const flags = await deps.repo.flagsByKeys(entries.map((e) => e.flagKey));
  // One item per ticket (its most urgent late clock leads, its other late clocks are named) or feedback answer.
  const groups = new Map<string, Flag[]>();
  for (const flag of flags) {
    const id = flag.kind === 'ticket' && flag.ticketId ? `t:${flag.ticketId}` : `f:${flag.key}`;
    const group = groups.get(id);
    if (group) group.push(flag);
    else groups.set(id, [flag]);
  }
  const waiting: Flag[][] = [];
  const ended: Partial<Record<EndedKind, number>> = {};
  for (const group of groups.values()) {
    const open = group.filter((f) => endedKind(f, rollup, deps.teams) === undefined).sort(worstFirst);
    if (open.length > 0) waiting.push(open);
    else {
      const kind = endedOf(group.map((f) => endedKind(f, rollup, deps.teams)!));
      ended[kind] = (ended[kind] ?? 0) + 1;
    }
  }
  waiting.sort((a, b) => worstFirst(a[0]!, b[0]!));
  // What it shows, without the waiting figures that change every minute: edited when a ticket's state, team,
  // claim or hand-off changes, or a ticket joins it — not on every run.
  const signature = createHash('sha256')
    .update(
      JSON.stringify([
        entries.length,
        flags
          .map((f) => [f.key, f.state, f.outcome, f.team, f.handledBy, f.claimedBy, f.dueAt?.getTime() ?? null])
          .sort(),
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  const settled = waiting.length === 0;
  if (rollup.postId && rollup.renderHash === signature) {
    if (settled !== rollup.settled) await deps.repo.touchRollup(rollup.id, settled, now);
    return;
  }
  const kind = rollupKind(rollup);
  const shown = waiting.slice(0, ROLLUP_LINES);
  const ctx = await deps.reads.contextFor(shown.map((group) => group[0]!));
  const lines: RollupLine[] = [];
  for (const [head, ...others] of shown) {
    lines.push({
      view: await buildNudgeView(head!, ctx, now, deps),
      team: kind === 'escalation' ? head!.team : undefined,
      alsoLate: others.map((f) => clockLabel((f.clock ?? undefined) as ClockName | undefined)),
    });
  }
  const settings = settingsOf(deps);
  const tickets = [...groups.keys()].filter((id) => id.startsWith('t:')).length;
  const feedback = groups.size - tickets;
  // A ticket late on resolution alone is not "waiting for a reply": /unanswered would leave it out.
  const resolutionOnly = waiting.some((group) => group.every((f) => f.kind === 'ticket' && f.clock === 'resolution'));
  const seeAll = seeAllOf(kind, rollup, resolutionOnly);
  const rendered = renderRollup({
    kind,
    team: rollup.team ?? undefined,
    wave: rollup.wave,
    tickets,
    feedback,
    waiting: waiting.length,
    ended,
    lines,
    budget:
      kind === 'backlog'
        ? undefined
        : {
            limit: kind === 'person' ? settings.perPerson : channelLimit(deps, rollup.scope.slice('channel:'.length)),
            windowMinutes: settings.windowMinutes,
            setting:
              kind === 'person'
                ? 'nudges.perPerson'
                : kind === 'escalation'
                  ? 'nudges.perEscalationChannel'
                  : 'nudges.perChannel',
          },
    seeAll,
    asOf: now,
  });
  const key = `rollup:${rollup.id}:post`;
  const saved = await deps.repo.saveRollupRender(
    rollup,
    { payload: withMetadata(rendered, key), renderHash: signature, settled },
    now,
  );
  if (saved === 'posted') summary.summaries++;
  else if (saved === 'updated') summary.updated++;
}

/** How a ticket all of whose listed clocks ended is counted: the most telling of its outcomes. */
function endedOf(kinds: EndedKind[]): EndedKind {
  const order: EndedKind[] = [
    'moved',
    'deleted',
    'closed_unanswered',
    'resolved',
    'answered',
    'followed_up',
    'handled',
    'recovered',
  ];
  return order.find((kind) => kinds.includes(kind)) ?? kinds[0]!;
}

/**
 * What a rollup's "Show all waiting" answers with (its own list), and the command its text names — none when a
 * listed ticket is late on resolution only, which that command would leave out.
 */
function seeAllOf(
  kind: RollupKind,
  rollup: Rollup,
  resolutionOnly: boolean,
): { command: string | undefined; value: string } {
  let scope: ResolvedScope;
  let command: string;
  if (kind === 'person') {
    scope = { kind: 'user', userId: rollup.channel };
    command = '/unanswered me';
  } else if (rollup.team) {
    scope = { kind: 'team', team: rollup.team };
    command = `/unanswered ${rollup.team}`;
  } else {
    scope = { kind: 'all' };
    command = '/unanswered all';
  }
  return { command: resolutionOnly ? undefined : command, value: JSON.stringify({ s: scope, r: rollup.id }) };
}

// ─────────────────────────────────────────────────────────────────────────────── claim timer (issue 15)
// A claim promises a public reply within `claimWithin` (domain/claim.ts). When it lapses the nudge says so and
// the claimer is pinged again in its thread, once per claim (the key carries the claim's instant: a later claim
// that lapses pings again). The engine releases a lapsed claim for the ladder itself (flag-machine.ts).

const LAPSE_KEY = /:claim-lapsed:([UW][A-Z0-9]+):\d+$/;

function claimWithinOf(deps: NudgeDeps, rule: string | undefined): TBusinessDuration {
  return deps.claims?.within(rule) ?? DEFAULT_CLAIM_WITHIN;
}

/**
 * Cheap pre-check before any context is read: a claimed open flag, past the earliest instant its claim could lapse
 * (the shortest promise of any rule), whose nudge has not been looked at since the latest (the longest). Between
 * the two it is looked at on every run: a nudge touched for another reason (a sync, a routing check) in that
 * window must not hide the lapse.
 */
const OPEN = new Set<string>(OPEN_FLAG_STATES);

function claimMayHaveLapsed(deps: NudgeDeps, flag: Flag, nudge: Nudge, now: Date): boolean {
  const claim = currentClaim(flag);
  if (!claim || flag.handledBy || flag.kind !== 'ticket' || !OPEN.has(flag.state)) return false;
  const team = deps.teams.find((t) => t.name === flag.team);
  if (!team) return false;
  const earliest = addBusinessTime(claim.at, deps.claims?.shortest ?? DEFAULT_CLAIM_WITHIN, team.calendar);
  if (earliest > now) return false;
  const latest = addBusinessTime(claim.at, deps.claims?.longest ?? DEFAULT_CLAIM_WITHIN, team.calendar);
  return nudge.updatedAt < latest;
}

function statusOfClaim(deps: NudgeDeps, flag: Flag, ctx: Ctx, team: SlackTeam, now: Date) {
  if (!currentClaim(flag) || flag.kind !== 'ticket' || !flag.ticketId || !OPEN.has(flag.state)) return undefined;
  const ticket = ctx.tickets.get(flag.ticketId);
  const rule = ctx.clocks.get(`${flag.ticketId}:${flag.clock ?? 'firstResponse'}`)?.policy;
  return claimStatus(
    {
      claimedAt: flag.claimedAt,
      handled: flag.handledBy !== null,
      lastReplyAt: ticket?.lastAgentMessageAt ?? null,
      within: claimWithinOf(deps, rule),
      calendar: team.calendar,
    },
    now,
  );
}

/** The view with its lapsed claim, if the claim lapsed and nobody has replied since. */
function withClaimTimer(
  deps: NudgeDeps,
  view: View,
  flag: Flag,
  ctx: Ctx,
  team: SlackTeam | undefined,
  now: Date,
): View {
  if (!team || !currentClaim(flag) || !flag.claimedBy || !flag.claimedAt) return view;
  const status = statusOfClaim(deps, flag, ctx, team, now);
  if (status?.kind !== 'lapsed') return view;
  const rule = flag.ticketId ? ctx.clocks.get(`${flag.ticketId}:${flag.clock ?? 'firstResponse'}`)?.policy : undefined;
  return {
    ...view,
    claimLapsed: { by: flag.claimedBy, at: flag.claimedAt, within: formatClaimWithin(claimWithinOf(deps, rule)) },
  };
}

/** A claim nothing can change any more without new facts (kept, replied late): no need to look again. */
function claimSettled(deps: NudgeDeps, flag: Flag, ctx: Ctx, team: SlackTeam, now: Date): boolean {
  const status = statusOfClaim(deps, flag, ctx, team, now);
  return status !== undefined && status.kind !== 'pending';
}

/** The claimer's ping in the nudge's thread when the claim lapsed (once per claim: its key says which). */
function claimLapsePing(view: View, flag: Flag, nudge: Nudge, hash: string): OutboxIntent | undefined {
  const lapse = view.claimLapsed;
  if (!lapse || !nudge.postId || isDone(view) || nudge.renderHash === hash || !flag.claimedAt) return undefined;
  const key = `nudge:${nudge.id}:claim-lapsed:${lapse.by}:${flag.claimedAt.getTime()}`;
  return {
    idempotencyKey: key,
    kind: 'reply',
    channel: nudge.channel,
    payload: withMetadata(renderClaimLapseReply(view, lapse.by), key),
  };
}

/** Who a claim-lapse ping was for (undefined: not one). */
function claimLapseRecipient(row: Pick<OutboxMessage, 'idempotencyKey'>): string | undefined {
  return LAPSE_KEY.exec(row.idempotencyKey)?.[1];
}
