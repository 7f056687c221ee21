// The personal morning list (`/heed daily on`): at the start of their own working day, each agent who opted in
// gets a DM with their open items (flags of tickets they own, and flags they claimed), most overdue first, due
// times in their zone, each with the nudge buttons.
//
// Once per person and local date: the DM's outbox key is `daily:<slack user>:<yyyy-mm-dd>` (unique), so a second
// replica, a restart or an overlapping run never queues it twice. The job (src/jobs/heed-jobs.ts, every 5 minutes,
// one replica at a time under its lease) asks for each person whether their day started within the catch-up window
// (MORNING_CATCH_UP_MS: a list missed because Heed was down at 09:00 still comes until 12:00, saying it is late;
// after that, none for that day). No list on a day off (no working slot that weekday, a team holiday), while away
// (an out-of-office period covering the start, HubSpot "away", a Slack status that means away), or while the
// person muted Heed's DMs. An empty list is still sent, as one short line: they asked for a list every working
// day, and silence would look broken.
import type { TPolicy } from '../config.ts';
import type { Db, DbDriver } from '../db/client.ts';
import { DailyListRepo, type DailySetting, type HubspotSchedule } from '../db/daily-list-repo.ts';
import { FlagsReadRepo } from '../db/flags-read-repo.ts';
import type { SlackRepo } from '../db/slack-repo.ts';
import { assignTeam } from '../domain/team-assignment.ts';
import {
  type AwayFacts,
  type MorningDecision,
  morningDecision,
  nextWorkingDayStart,
  type WorkWeek,
  workWeek,
} from '../domain/working-day.ts';
import type { Logger } from '../logger.ts';
import { HEED_METADATA_EVENT, type SlackApi } from './outbox.ts';
import { DAILY_LIST_CAP, type DailyStatusView, renderDailyList } from './render/daily-list.ts';
import type { SlackTeam } from './teams.ts';
import type { SlackUserDirectory } from './users.ts';
import { buildQueueItems } from './views.ts';

export interface DailyListDeps {
  db: Pick<Db, 'prisma'> & Partial<DbDriver>;
  /** Where the DM is queued (SlackRepo.enqueue). */
  outbox: Pick<SlackRepo, 'enqueue'>;
  /** slackStatus: cached, never throws (Slack failing counts as not away), as routing reads it. */
  users: Pick<SlackUserDirectory, 'emailsForSlackUser' | 'knownSlackId' | 'slackIdForEmail' | 'slackStatus'>;
  teams: readonly SlackTeam[];
  policy: Pick<TPolicy, 'teams' | 'calendars' | 'away'>;
  /** users.info, for the Slack time zone of someone without HubSpot working hours. */
  slack?: SlackApi | undefined;
  /** The same, for slash commands: a client that gives up within USERS_INFO_TIMEOUT_MS (Slack's 3 s). */
  interactiveSlack?: SlackApi | undefined;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

/** What Heed knows about one person's working day. */
export interface DailyPlan {
  slackUserId: string;
  setting: DailySetting | undefined;
  /** HubSpot owners with the person's email (their tickets are "theirs"). */
  ownerIds: string[];
  hubspot: HubspotSchedule | undefined;
  week: WorkWeek;
  away: AwayFacts;
}

/** A Slack zone that could not be learnt is asked for again after this long. */
const ZONE_RETRY_MS = 6 * 3_600_000;

export function dailyListKey(slackUserId: string, day: string): string {
  return `daily:${slackUserId}:${day}`;
}

export type DailyOutcome = MorningDecision['kind'] | 'sent' | 'already' | 'muted';

export interface DailyRunResult {
  /** Per opted-in person, what happened this run. */
  outcomes: Record<string, DailyOutcome>;
  sent: number;
}

export class DailyLists {
  readonly #d: DailyListDeps;
  readonly #repo: DailyListRepo;
  readonly #reads: FlagsReadRepo;
  /** When this process last asked Slack for someone's zone (users.info), by Slack user. */
  readonly #zoneAskedAt = new Map<string, number>();

  constructor(deps: DailyListDeps) {
    this.#d = deps;
    this.#repo = new DailyListRepo(deps.db);
    this.#reads = new FlagsReadRepo(deps.db);
  }

  /**
   * `/heed daily on|off|status`: stores the choice, refreshes the Slack time zone (the interactive client: this
   * runs before the command is acknowledged), and says when the list comes and where that time comes from.
   */
  async command(slackUserId: string, action: 'on' | 'off' | 'status', now: Date): Promise<DailyStatusView> {
    if (action !== 'status') await this.#repo.setDailyList(slackUserId, action === 'on', now);
    let plan = await this.plan(slackUserId, now);
    // The Slack zone matters only without HubSpot hours; asked then, so most answers make no extra Slack call.
    if (action !== 'off' && plan.week.hoursFrom === 'team-calendar') {
      const tz = await this.refreshSlackTimeZone(slackUserId, now, this.#d.interactiveSlack ?? this.#d.slack);
      if (tz && tz !== plan.setting?.slackTimeZone) plan = await this.plan(slackUserId, now);
    }
    return {
      action,
      on: plan.setting?.dailyList ?? false,
      now,
      week: plan.week,
      next: nextWorkingDayStart(plan.week, now)?.startsAt,
      matched: plan.ownerIds.length > 0,
      mutedUntil: plan.setting?.mutedUntil ?? undefined,
    };
  }

  /**
   * Asks Slack for the person's time zone (users.info `tz`) and keeps it; undefined when Slack does not answer.
   * `slack` may be the interactive client (a slash command's 3 s).
   */
  async refreshSlackTimeZone(slackUserId: string, now: Date, slack = this.#d.slack): Promise<string | undefined> {
    if (!slack) return undefined;
    try {
      const result = (await slack.apiCall('users.info', { user: slackUserId })) as { user?: { tz?: string } };
      const tz = result.user?.tz;
      if (typeof tz !== 'string' || tz === '' || tz.length > 64) return undefined;
      await this.#repo.setSlackTimeZone(slackUserId, tz, now);
      return tz;
    } catch (error) {
      this.#d.logger.warn({ err: error, slackUserId }, 'daily list: users.info failed; using the team zone');
      return undefined;
    }
  }

  /** The person's week, away facts and owners, from HubSpot's copy, the policy and Slack's zone. */
  async plan(slackUserId: string, now: Date, setting?: DailySetting): Promise<DailyPlan> {
    const known = setting ?? (await this.#repo.setting(slackUserId));
    const emails = await this.#d.users.emailsForSlackUser(slackUserId, now);
    const [hubspot, owners] = await Promise.all([
      this.#repo.hubspotSchedule(emails),
      this.#reads.ownersByEmails(emails),
    ]);
    const owner = owners.find((o) => o.id === hubspot?.ownerId) ?? owners[0];
    const team = assignTeam(this.#d.policy.teams, {
      hubspotTeamId: owner?.primaryTeamId ?? null,
      pipelineId: null,
      ownerId: owner?.id ?? null,
      ownerEmail: owner?.email ?? emails[0] ?? null,
    });
    const calendar = this.#d.policy.calendars[team.calendar]!;
    const week = workWeek({
      hubspot: hubspot?.scheduleReadable ? { timeZone: hubspot.timeZone, slots: hubspot.slots } : undefined,
      team: { name: team.name, timezone: calendar.timezone, hours: calendar.hours, holidays: calendar.holidays },
      slackTimeZone: known?.slackTimeZone,
    });
    const ownerIds = [...new Set([...owners.map((o) => o.id), ...(hubspot?.ownerId ? [hubspot.ownerId] : [])])];
    return {
      slackUserId,
      setting: known,
      ownerIds,
      hubspot,
      week,
      away: { availabilityStatus: hubspot?.availabilityStatus, outOfOffice: hubspot?.outOfOffice ?? [] },
    };
  }

  /** One pass over everyone who opted in: queues the lists that are due now. */
  async run(now: Date, logger: Pick<Logger, 'info' | 'warn'> = this.#d.logger): Promise<DailyRunResult> {
    const outcomes: Record<string, DailyOutcome> = {};
    let sent = 0;
    for (const setting of await this.#repo.optedIn()) {
      try {
        const outcome = await this.#runFor(setting, now);
        outcomes[setting.slackUserId] = outcome;
        if (outcome === 'sent') {
          sent++;
          logger.info({ slackUserId: setting.slackUserId }, 'daily list queued');
        }
      } catch (error) {
        // One person's bad data must not cost everyone else their list.
        logger.warn({ err: error, slackUserId: setting.slackUserId }, 'daily list: could not prepare this list');
      }
    }
    return { outcomes, sent };
  }

  async #runFor(setting: DailySetting, now: Date): Promise<DailyOutcome> {
    let plan = await this.plan(setting.slackUserId, now, setting);
    // Team hours are read in the person's Slack zone: learn it once (it is kept, and refreshed by `/heed daily`).
    // Slack not answering is asked again a few hours later, not on every run.
    const askedAt = this.#zoneAskedAt.get(setting.slackUserId);
    const askAgain = askedAt === undefined || now.getTime() - askedAt >= ZONE_RETRY_MS;
    if (plan.week.hoursFrom === 'team-calendar' && !setting.slackTimeZone && this.#d.slack && askAgain) {
      this.#zoneAskedAt.set(setting.slackUserId, now.getTime());
      const tz = await this.refreshSlackTimeZone(setting.slackUserId, now);
      if (tz) plan = await this.plan(setting.slackUserId, now, { ...setting, slackTimeZone: tz });
    }
    const decision = morningDecision(plan.week, plan.away, now);
    if (decision.kind !== 'send') return decision.kind;
    const key = dailyListKey(setting.slackUserId, decision.day);
    if ((await this.#repo.existingOutboxKeys([key])).has(key)) return 'already';
    if (setting.mutedUntil && setting.mutedUntil > now) return 'muted';
    // Their Slack status may say away too (a vacation emoji): Slack is asked only for a list about to go.
    const slack = { status: await this.#d.users.slackStatus(setting.slackUserId, now), rules: this.#d.policy.away };
    const withSlack = morningDecision(plan.week, { ...plan.away, slack }, now);
    if (withSlack.kind !== 'send') return withSlack.kind;
    const message = await this.render(plan, now, decision.late ? decision.startsAt : undefined);
    const payload = {
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
      // The outbox finds a DM sent just before a crash by this key in the conversation's history.
      metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
    };
    try {
      const queued = await this.#d.outbox.enqueue(
        { idempotencyKey: key, kind: 'dm', channel: setting.slackUserId, payload },
        now,
      );
      return queued ? 'sent' : 'already';
    } catch (error) {
      // Another replica queued the same key between the check and the insert.
      if ((error as { code?: string }).code === 'P2002') return 'already';
      throw error;
    }
  }

  /** The list as it would be sent now. */
  async render(plan: DailyPlan, now: Date, lateFor?: Date) {
    const { flags, total } = await this.#repo.openItems(plan.ownerIds, plan.slackUserId, DAILY_LIST_CAP);
    const items = await buildQueueItems(flags, await this.#reads.contextFor(flags), now, this.#d);
    const byKey = new Map(flags.map((f) => [f.key, f]));
    return renderDailyList({
      userId: plan.slackUserId,
      zone: plan.week.zone,
      now,
      lateFor,
      total,
      items: items.map((item) => {
        const flag = byKey.get(item.flagKey);
        return {
          ...item,
          state: item.state === 'running' ? ('at_risk' as const) : item.state,
          snoozedUntil: flag?.snoozedUntil ?? undefined,
        };
      }),
    });
  }
}
