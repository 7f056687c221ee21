// The columns the bulk writers fill, in one order for both dialects, with each column's kind (how SQLite and
// PostgreSQL are handed its values) and the ON CONFLICT updates. The dialect writers (page-writer-sqlite.ts,
// page-writer-pg.ts) build their statements from these lists, so the two cannot drift apart.
import type { UserRow } from '../hubspot/map.ts';

export type ColumnKind = 'text' | 'time' | 'bool' | 'float' | 'int';

/** A quoted identifier, as Prisma created the tables. */
export const q = (name: string) => `"${name}"`;

export const TICKET_KINDS = {
  id: 'text',
  subject: 'text',
  pipelineId: 'text',
  stageId: 'text',
  priority: 'text',
  ownerId: 'text',
  hubspotTeamId: 'text',
  category: 'text',
  source: 'text',
  createdAt: 'time',
  modifiedAt: 'time',
  closedAt: 'time',
  reopenedAt: 'time',
  firstAgentReplyAt: 'time',
  lastCustomerMessageAt: 'time',
  lastAgentMessageAt: 'time',
  lastMessageFromVisitor: 'bool',
  stageEnteredAt: 'time',
  hsFirstResponseDueAt: 'time',
  hsNextResponseDueAt: 'time',
  hsCloseDueAt: 'time',
  hsFirstResponseStatus: 'text',
  hsNextResponseStatus: 'text',
  hsCloseStatus: 'text',
  contactId: 'text',
  isClosed: 'bool',
  archived: 'bool',
  syncedAt: 'time',
} as const satisfies Record<string, ColumnKind>;
export type TicketColumn = keyof typeof TICKET_KINDS;
export const TICKET_COLUMNS = Object.keys(TICKET_KINDS) as TicketColumn[];

/** Columns (besides the key) a ticket upsert overwrites; contactId keeps the stored value when the payload has none. */
export const TICKET_UPDATE_SET = TICKET_COLUMNS.filter((c) => c !== 'id')
  .map((c) => {
    if (c === 'contactId') return `"contactId" = COALESCE(excluded."contactId", "Ticket"."contactId")`;
    // Archived only moves forward unless HubSpot shows a newer version (a restored ticket).
    if (c === 'archived') {
      return `"archived" = CASE WHEN excluded."modifiedAt" > "Ticket"."modifiedAt" THEN excluded."archived" ELSE ("Ticket"."archived" OR excluded."archived") END`;
    }
    return `${q(c)} = excluded.${q(c)}`;
  })
  .join(', ');

export const FEEDBACK_KINDS = {
  id: 'text',
  surveyType: 'text',
  value: 'float',
  responseGroup: 'text',
  content: 'text',
  submittedAt: 'time',
  surveyId: 'text',
  surveyName: 'text',
  channel: 'text',
  sentiment: 'text',
  contactId: 'text',
  ticketId: 'text',
  modifiedAt: 'time',
  archived: 'bool',
  syncedAt: 'time',
} as const satisfies Record<string, ColumnKind>;
export type FeedbackColumn = keyof typeof FEEDBACK_KINDS;
export const FEEDBACK_COLUMNS = Object.keys(FEEDBACK_KINDS) as FeedbackColumn[];

/** A feedback answer's upsert: a later version without its contact or ticket keeps the ones already known. */
export const FEEDBACK_UPDATE_SET = FEEDBACK_COLUMNS.filter((c) => c !== 'id')
  .map((c) =>
    c === 'contactId' || c === 'ticketId'
      ? `${q(c)} = COALESCE(excluded.${q(c)}, "FeedbackSubmission".${q(c)})`
      : `${q(c)} = excluded.${q(c)}`,
  )
  .join(', ');

export const USER_KINDS = {
  id: 'text',
  ownerId: 'text',
  email: 'text',
  firstName: 'text',
  lastName: 'text',
  availabilityStatus: 'text',
  timeZone: 'text',
  jobTitle: 'text',
  workingHoursRaw: 'text',
  outOfOfficeRaw: 'text',
  scheduleReadable: 'bool',
  archived: 'bool',
  modifiedAt: 'time',
  syncedAt: 'time',
} as const satisfies Record<string, ColumnKind>;
export type UserColumn = keyof typeof USER_KINDS;
export const USER_COLUMNS = Object.keys(USER_KINDS) as UserColumn[];

export const USER_UPDATE_SET = USER_COLUMNS.filter((c) => c !== 'id')
  .map((c) => `${q(c)} = excluded.${q(c)}`)
  .join(', ');

/** A user row's values by column (`syncedAt` is filled by the writer). */
export function userValues(r: UserRow): Record<UserColumn, unknown> {
  return {
    id: r.id,
    ownerId: r.ownerId,
    email: r.email,
    firstName: r.firstName,
    lastName: r.lastName,
    availabilityStatus: r.availabilityStatus,
    timeZone: r.timeZone,
    jobTitle: r.jobTitle,
    workingHoursRaw: r.workingHoursRaw,
    outOfOfficeRaw: r.outOfOfficeRaw,
    scheduleReadable: r.scheduleProblem === null,
    archived: r.archived,
    modifiedAt: r.modifiedAt,
    syncedAt: null,
  };
}
