// From HubSpot's wire shapes (validated by ./schemas.ts) to the rows Heed stores. Pure: no I/O, no clock.
// Dates are epoch milliseconds here; the repository formats them for each database.
import type { z } from 'zod';
import { crmObjectWith, type TCrmObject, type TOwner, type TPipeline, ZCrmObject } from './schemas.ts';

/** Every ticket property the SLA engine and the messages need (list/search/batch read all ask for these). */
export const TICKET_PROPERTIES = [
  'hs_object_id',
  'createdate',
  'hs_lastmodifieddate',
  'subject',
  'hs_pipeline',
  'hs_pipeline_stage',
  'hs_ticket_priority',
  'hubspot_owner_id',
  'hubspot_team_id',
  'hs_ticket_category',
  'source_type',
  'closed_date',
  'hs_ticket_reopened_at',
  'hs_first_agent_message_sent_at',
  'first_agent_reply_date',
  'hs_last_message_received_at',
  'last_reply_date',
  'hs_last_message_sent_at',
  'hs_last_message_from_visitor',
  'hs_v2_date_entered_current_stage',
  'hs_time_to_first_response_sla_at',
  'hs_time_to_next_response_sla_at',
  'hs_time_to_close_sla_at',
  'hs_time_to_first_response_sla_status',
  'hs_time_to_next_response_sla_status',
  'hs_time_to_close_sla_status',
] as const;

export const FEEDBACK_PROPERTIES = [
  'hs_object_id',
  'hs_createdate',
  'hs_lastmodifieddate',
  'hs_survey_type',
  'hs_value',
  'hs_response_group',
  'hs_content',
  'hs_submission_timestamp',
  'hs_survey_channel',
  'hs_sentiment',
  'hs_survey_id',
  'hs_survey_name',
] as const;

/** Ticket payloads, validated with their property names declared (see crmObjectWith). */
export const ZTicketObject = crmObjectWith(TICKET_PROPERTIES);
export const ZFeedbackObject = crmObjectWith(FEEDBACK_PROPERTIES);

export const CONTACT_PROPERTIES = ['firstname', 'lastname', 'email', 'associatedcompanyid'] as const;
export const COMPANY_PROPERTIES = ['name'] as const;

export type TicketRow = {
  id: string;
  subject: string | null;
  pipelineId: string | null;
  stageId: string | null;
  priority: string | null;
  ownerId: string | null;
  hubspotTeamId: string | null;
  category: string | null;
  source: string | null;
  createdAt: number;
  modifiedAt: number;
  closedAt: number | null;
  reopenedAt: number | null;
  firstAgentReplyAt: number | null;
  lastCustomerMessageAt: number | null;
  lastAgentMessageAt: number | null;
  lastMessageFromVisitor: boolean | null;
  stageEnteredAt: number | null;
  hsFirstResponseDueAt: number | null;
  hsNextResponseDueAt: number | null;
  hsCloseDueAt: number | null;
  hsFirstResponseStatus: string | null;
  hsNextResponseStatus: string | null;
  hsCloseStatus: string | null;
  /** Null when the payload carried no associations (search results): the stored value is kept. */
  contactId: string | null;
  /** Not stored on the ticket: used to look up the company name. */
  companyId: string | null;
  isClosed: boolean;
  archived: boolean;
};

export type FeedbackRow = {
  id: string;
  surveyType: string;
  value: number | null;
  responseGroup: string | null;
  content: string | null;
  submittedAt: number;
  surveyId: string | null;
  surveyName: string | null;
  channel: string | null;
  sentiment: string | null;
  contactId: string | null;
  ticketId: string | null;
  modifiedAt: number;
  archived: boolean;
};

export type OwnerRow = {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  userId: string | null;
  type: string;
  teamIds: string[];
  primaryTeamId: string | null;
  archived: boolean;
};

export type TeamRow = { id: string; name: string };
export type PipelineRow = { id: string; label: string; displayOrder: number; archived: boolean };
export type StageRow = {
  pipelineId: string;
  id: string;
  label: string;
  displayOrder: number;
  isClosed: boolean;
  archived: boolean;
};

/** A record that failed validation: logged with its id and skipped; the rest of its page is kept. */
export type Rejected = { id: string | undefined; reason: string };

export type Parsed<T> = { rows: T[]; rejected: Rejected[] };

/** `stageClosed(pipelineId, stageId)`: the stage's metadata.ticketState, when the stage is known. */
export type StageLookup = (pipelineId: string | null, stageId: string | null) => boolean | undefined;

/**
 * HubSpot datetime properties arrive as ISO strings, older ones and date pickers as epoch-ms strings.
 * Returns undefined for a value that is present but unreadable (the record is then rejected).
 */
export function parseHubspotTime(value: string | null | undefined): number | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function idOf(raw: unknown): string | undefined {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

class RowError extends Error {}

function time(props: Record<string, string | null>, name: string): number | null {
  const ms = parseHubspotTime(props[name]);
  if (ms === undefined) throw new RowError(`${name} is not a date: ${JSON.stringify(props[name]).slice(0, 40)}`);
  return ms;
}

function requiredTime(props: Record<string, string | null>, name: string, fallback?: string): number {
  const ms = time(props, name) ?? (fallback ? Date.parse(fallback) : null);
  if (ms === null || Number.isNaN(ms)) throw new RowError(`${name} is missing`);
  return ms;
}

const text = (props: Record<string, string | null>, name: string): string | null => {
  const value = props[name];
  return value === undefined || value === null || value === '' ? null : value;
};

/** First id of an association list, preferring the one labelled primary when the payload says so. */
function firstAssociated(object: TCrmObject, type: string): string | null {
  const list = object.associations?.[type]?.results ?? [];
  const primary = list.find((a) => /primary/i.test(a.type));
  return (primary ?? list[0])?.id ?? null;
}

/** Validates and maps each record of a page; one bad record never costs the others. */
export function mapRecords<T>(
  raws: readonly unknown[],
  map: (object: TCrmObject) => T,
  schema: z.ZodType<TCrmObject> = ZCrmObject,
): Parsed<T> {
  const rows: T[] = [];
  const rejected: Rejected[] = [];
  for (const raw of raws) {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      rejected.push({ id: idOf(raw), reason: `${issue?.path.join('.') || 'record'}: ${issue?.message}` });
      continue;
    }
    try {
      rows.push(map(parsed.data));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      rejected.push({ id: parsed.data.id, reason: error.message });
    }
  }
  return { rows, rejected };
}

export function ticketRow(object: TCrmObject, stageClosed: StageLookup): TicketRow {
  const p = object.properties;
  const pipelineId = text(p, 'hs_pipeline');
  const stageId = text(p, 'hs_pipeline_stage');
  const closedAt = time(p, 'closed_date');
  const visitor = text(p, 'hs_last_message_from_visitor');
  // hs_first_agent_message_sent_at covers every channel; first_agent_reply_date only email (older portals).
  const firstReply = time(p, 'hs_first_agent_message_sent_at') ?? time(p, 'first_agent_reply_date');
  const lastCustomer = time(p, 'hs_last_message_received_at') ?? time(p, 'last_reply_date');
  const createdAt = requiredTime(p, 'createdate', object.createdAt);
  const modifiedAt = requiredTime(p, 'hs_lastmodifieddate', object.updatedAt);
  const known = stageClosed(pipelineId, stageId);
  return {
    id: object.id,
    subject: text(p, 'subject'),
    pipelineId,
    stageId,
    priority: text(p, 'hs_ticket_priority'),
    ownerId: text(p, 'hubspot_owner_id'),
    hubspotTeamId: text(p, 'hubspot_team_id'),
    category: text(p, 'hs_ticket_category'),
    source: text(p, 'source_type'),
    createdAt,
    modifiedAt,
    closedAt,
    reopenedAt: time(p, 'hs_ticket_reopened_at'),
    firstAgentReplyAt: firstReply,
    lastCustomerMessageAt: lastCustomer,
    lastAgentMessageAt: time(p, 'hs_last_message_sent_at'),
    lastMessageFromVisitor: visitor === null ? null : visitor === 'true',
    stageEnteredAt: time(p, 'hs_v2_date_entered_current_stage'),
    hsFirstResponseDueAt: time(p, 'hs_time_to_first_response_sla_at'),
    hsNextResponseDueAt: time(p, 'hs_time_to_next_response_sla_at'),
    hsCloseDueAt: time(p, 'hs_time_to_close_sla_at'),
    hsFirstResponseStatus: text(p, 'hs_time_to_first_response_sla_status'),
    hsNextResponseStatus: text(p, 'hs_time_to_next_response_sla_status'),
    hsCloseStatus: text(p, 'hs_time_to_close_sla_status'),
    contactId: firstAssociated(object, 'contacts'),
    companyId: firstAssociated(object, 'companies'),
    // The stage decides; before pipelines are known, a closed date is the best evidence.
    isClosed: known ?? closedAt !== null,
    archived: object.archived,
  };
}

export function feedbackRow(object: TCrmObject): FeedbackRow {
  const p = object.properties;
  const type = text(p, 'hs_survey_type');
  if (!type) throw new RowError('hs_survey_type is missing');
  const raw = text(p, 'hs_value');
  const value = raw === null ? null : Number(raw);
  if (value !== null && Number.isNaN(value)) throw new RowError(`hs_value is not a number: ${raw?.slice(0, 20)}`);
  const submittedAt = time(p, 'hs_submission_timestamp') ?? requiredTime(p, 'hs_createdate', object.createdAt);
  return {
    id: object.id,
    surveyType: type,
    value,
    responseGroup: text(p, 'hs_response_group'),
    content: text(p, 'hs_content'),
    submittedAt,
    surveyId: text(p, 'hs_survey_id'),
    surveyName: text(p, 'hs_survey_name'),
    channel: text(p, 'hs_survey_channel'),
    sentiment: text(p, 'hs_sentiment'),
    contactId: firstAssociated(object, 'contacts'),
    ticketId: firstAssociated(object, 'tickets'),
    modifiedAt: requiredTime(p, 'hs_lastmodifieddate', object.updatedAt),
    archived: object.archived,
  };
}

export function ownerRow(owner: TOwner): OwnerRow {
  const teams = owner.teams ?? [];
  return {
    id: owner.id,
    email: owner.email ?? null,
    firstName: owner.firstName ?? null,
    lastName: owner.lastName ?? null,
    userId: owner.userId === undefined ? null : String(owner.userId),
    type: owner.type,
    teamIds: teams.map((t) => t.id),
    primaryTeamId: teams.find((t) => t.primary)?.id ?? null,
    archived: owner.archived,
  };
}

export function teamRows(owners: readonly TOwner[]): TeamRow[] {
  const teams = new Map<string, string>();
  for (const owner of owners) for (const team of owner.teams ?? []) teams.set(team.id, team.name);
  return [...teams].map(([id, name]) => ({ id, name }));
}

export function pipelineRows(pipelines: readonly TPipeline[]): { pipelines: PipelineRow[]; stages: StageRow[] } {
  return {
    pipelines: pipelines.map((p) => ({ id: p.id, label: p.label, displayOrder: p.displayOrder, archived: p.archived })),
    stages: pipelines.flatMap((p) =>
      p.stages.map((s) => ({
        pipelineId: p.id,
        id: s.id,
        label: s.label,
        displayOrder: s.displayOrder,
        // metadata.ticketState is optional: a stage without it counts as open.
        isClosed: s.metadata['ticketState'] === 'CLOSED',
        archived: s.archived,
      })),
    ),
  };
}

/** Deep link to a ticket in HubSpot's UI. */
export function ticketUrl(portal: { uiDomain: string; id: string }, ticketId: string): string {
  return `https://${portal.uiDomain}/contacts/${portal.id}/record/0-5/${ticketId}`;
}

export function contactName(props: Record<string, string | null>): string | null {
  const name = [text(props, 'firstname'), text(props, 'lastname')].filter(Boolean).join(' ');
  return name || text(props, 'email');
}

// ------------------------------------------------------------------ users and their availability

/** What Heed reads of a HubSpot user (CRM object 0-115); HubSpot's users guide documents these properties. */
export const USER_PROPERTIES = [
  'hs_object_id',
  'hs_createdate',
  'hs_lastmodifieddate',
  'hs_email',
  'hs_given_name',
  'hs_family_name',
  'hubspot_owner_id',
  'hs_availability_status',
  'hs_standard_time_zone',
  'hs_working_hours',
  'hs_out_of_office_hours',
  'hs_job_title',
] as const;
export const ZUserObject = crmObjectWith(USER_PROPERTIES);

/** A weekly slot in the user's own time zone: ISO weekday (1 = Monday … 7 = Sunday), minutes from midnight. */
export type WorkingSlot = { weekday: number; startMinute: number; endMinute: number };
export type OutOfOfficePeriod = { startsAt: number; endsAt: number };

export type UserRow = {
  id: string;
  ownerId: string | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  /** "available" or "away" as HubSpot says it (lower-cased); null when unset. */
  availabilityStatus: string | null;
  timeZone: string | null;
  jobTitle: string | null;
  workingHoursRaw: string | null;
  outOfOfficeRaw: string | null;
  workingHours: WorkingSlot[];
  outOfOffice: OutOfOfficePeriod[];
  /** Why the schedule could not be read (the user is still stored, with no slots or periods). */
  scheduleProblem: string | null;
  archived: boolean;
  modifiedAt: number;
};

const DAY_SETS: Record<string, number[]> = {
  MONDAY: [1],
  TUESDAY: [2],
  WEDNESDAY: [3],
  THURSDAY: [4],
  FRIDAY: [5],
  SATURDAY: [6],
  SUNDAY: [7],
  MONDAY_TO_FRIDAY: [1, 2, 3, 4, 5],
  SATURDAY_SUNDAY: [6, 7],
  EVERY_DAY: [1, 2, 3, 4, 5, 6, 7],
};

/**
 * hs_working_hours: a JSON array of `{days, startMinute, endMinute}` (days MONDAY … SUNDAY, MONDAY_TO_FRIDAY,
 * SATURDAY_SUNDAY or EVERY_DAY; minutes 0–1440). Throws an Error saying why when the value cannot be read.
 */
export function parseWorkingHours(raw: string | null): WorkingSlot[] {
  if (raw === null || raw.trim() === '') return [];
  const value = JSON.parse(raw) as unknown;
  if (!Array.isArray(value)) throw new Error('hs_working_hours is not a list');
  const slots = new Map<string, WorkingSlot>();
  for (const item of value) {
    const { days, startMinute, endMinute } = (item ?? {}) as Record<string, unknown>;
    const weekdays = typeof days === 'string' ? DAY_SETS[days] : undefined;
    if (!weekdays) throw new Error(`hs_working_hours has unknown days ${JSON.stringify(days)}`);
    if (
      !Number.isInteger(startMinute) ||
      !Number.isInteger(endMinute) ||
      (startMinute as number) < 0 ||
      (endMinute as number) > 1440 ||
      (startMinute as number) >= (endMinute as number)
    ) {
      throw new Error(`hs_working_hours has a slot ${JSON.stringify({ startMinute, endMinute })} outside 0–1440`);
    }
    for (const weekday of weekdays) {
      const slot = { weekday, startMinute: startMinute as number, endMinute: endMinute as number };
      slots.set(`${weekday}/${slot.startMinute}`, slot);
    }
  }
  return [...slots.values()].sort((a, b) => a.weekday - b.weekday || a.startMinute - b.startMinute);
}

/** hs_out_of_office_hours: a JSON array of `{startTimestamp, endTimestamp}` in epoch ms. */
export function parseOutOfOffice(raw: string | null): OutOfOfficePeriod[] {
  if (raw === null || raw.trim() === '') return [];
  const value = JSON.parse(raw) as unknown;
  if (!Array.isArray(value)) throw new Error('hs_out_of_office_hours is not a list');
  const periods = new Map<number, OutOfOfficePeriod>();
  for (const item of value) {
    const { startTimestamp, endTimestamp } = (item ?? {}) as Record<string, unknown>;
    const start = Number(startTimestamp);
    const end = Number(endTimestamp);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
      throw new Error(`hs_out_of_office_hours has a period ${JSON.stringify({ startTimestamp, endTimestamp })}`);
    }
    periods.set(start, { startsAt: start, endsAt: end });
  }
  return [...periods.values()].sort((a, b) => a.startsAt - b.startsAt);
}

export function userRow(object: TCrmObject): UserRow {
  const p = object.properties;
  const workingHoursRaw = text(p, 'hs_working_hours');
  const outOfOfficeRaw = text(p, 'hs_out_of_office_hours');
  let workingHours: WorkingSlot[] = [];
  let outOfOffice: OutOfOfficePeriod[] = [];
  let scheduleProblem: string | null = null;
  // An unreadable schedule costs the schedule, not the user: availability and time zone still matter.
  try {
    workingHours = parseWorkingHours(workingHoursRaw);
    outOfOffice = parseOutOfOffice(outOfOfficeRaw);
  } catch (error) {
    workingHours = [];
    outOfOffice = [];
    scheduleProblem = error instanceof SyntaxError ? 'a schedule property is not JSON' : (error as Error).message;
  }
  const status = text(p, 'hs_availability_status');
  return {
    id: object.id,
    ownerId: text(p, 'hubspot_owner_id'),
    email: text(p, 'hs_email'),
    firstName: text(p, 'hs_given_name'),
    lastName: text(p, 'hs_family_name'),
    availabilityStatus: status === null ? null : status.toLowerCase(),
    timeZone: text(p, 'hs_standard_time_zone'),
    jobTitle: text(p, 'hs_job_title'),
    workingHoursRaw,
    outOfOfficeRaw,
    workingHours,
    outOfOffice,
    scheduleProblem,
    archived: object.archived,
    modifiedAt: requiredTime(p, 'hs_lastmodifieddate', object.updatedAt),
  };
}
