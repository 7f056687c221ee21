// The Slack-facing view of the policy's teams: where they post, when they work.
import type { TPolicy } from '../config.ts';
import { type BusinessCalendar, createBusinessCalendar } from '../domain/calendar.ts';

export interface SlackTeam {
  name: string;
  channel: string;
  escalationChannel?: string | undefined;
  quietHours: boolean;
  calendar: BusinessCalendar;
  allowedUsers: readonly string[];
  /** A Slack user group whose members may change shared state too. */
  allowedUserGroup?: string | undefined;
  /** Who covers for an away owner: users in rotation order, then the user group's members. */
  backup?: { users: readonly string[]; userGroup?: string | undefined } | undefined;
}

export function slackTeams(policy: Pick<TPolicy, 'teams' | 'calendars'>): SlackTeam[] {
  const calendars = new Map<string, BusinessCalendar>();
  return policy.teams.map((team) => {
    let calendar = calendars.get(team.calendar);
    if (!calendar) {
      const spec = policy.calendars[team.calendar]!;
      calendar = createBusinessCalendar({ timezone: spec.timezone, hours: spec.hours, holidays: spec.holidays });
      calendars.set(team.calendar, calendar);
    }
    return {
      name: team.name,
      channel: team.channel,
      escalationChannel: team.escalationChannel,
      quietHours: team.quietHours,
      calendar,
      allowedUsers: team.allowedUsers,
      allowedUserGroup: team.allowedUserGroup,
      backup: { users: team.backup?.users ?? [], userGroup: team.backup?.userGroup },
    };
  });
}
