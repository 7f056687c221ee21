// A deterministic, compact model of a HubSpot portal for the simulator: owners in teams, ticket pipelines,
// tickets with plausible reply times, contacts, companies and feedback. Tickets live in typed arrays (one
// column per field) and are rendered to HubSpot's string-only property maps on request, so a 100,000-ticket
// portal costs a few megabytes and starts in well under a second.
import { AGENT_TEXTS, CUSTOMER_TEXTS, SimConversations, type SimMessageKind } from './conversations.ts';
import { createRandom, type Random } from './random.ts';

export type PortalOptions = {
  seed?: number;
  tickets?: number;
  /** Tickets are created over the `days` before `now`. */
  days?: number;
  /** The portal's present, epoch ms. */
  now: number;
  owners?: number;
  /** Share of tickets that are archived (deleted) in HubSpot. */
  archivedShare?: number;
  /** Feedback submissions per ticket. */
  feedbackPerTicket?: number;
  portalId?: number;
  timeZone?: string;
};

export const TEAMS = [
  { id: '4001', name: 'Tier 1' },
  { id: '4002', name: 'Tier 2' },
  { id: '4003', name: 'Billing' },
] as const;

export type SimStage = { id: string; label: string; state: 'OPEN' | 'CLOSED'; waiting: boolean };
export type SimPipeline = { id: string; label: string; stages: SimStage[] };

export const PIPELINES: SimPipeline[] = [
  {
    id: '0',
    label: 'Support Pipeline',
    stages: [
      { id: '1', label: 'New', state: 'OPEN', waiting: false },
      { id: '2', label: 'Waiting on contact', state: 'OPEN', waiting: true },
      { id: '3', label: 'Waiting on us', state: 'OPEN', waiting: false },
      { id: '4', label: 'Closed', state: 'CLOSED', waiting: false },
    ],
  },
  {
    id: '81234567',
    label: 'Billing',
    stages: [
      { id: '81234568', label: 'New', state: 'OPEN', waiting: false },
      { id: '81234569', label: 'Waiting on customer', state: 'OPEN', waiting: true },
      { id: '81234570', label: 'In review', state: 'OPEN', waiting: false },
      { id: '81234571', label: 'Resolved', state: 'CLOSED', waiting: false },
    ],
  },
];

export const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;
export const CATEGORIES = ['PRODUCT_ISSUE', 'BILLING_ISSUE', 'FEATURE_REQUEST', 'GENERAL_INQUIRY'] as const;
export const SOURCES = ['EMAIL', 'CHAT', 'FORM', 'PHONE'] as const;
export const SURVEY_TYPES = ['NPS', 'CSAT', 'CES'] as const;

const FIRST_NAMES = ['Ada', 'Ben', 'Chloé', 'Dmitri', 'Eve', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kai', 'Lena'];
const LAST_NAMES = ['Okafor', 'Schmidt', 'Nguyen', 'García', 'Kowalski', 'Haddad', 'Lindqvist', 'Moreau', 'Tanaka'];
/** A custom company property (as portals add one for their customer tiers): Enterprise, Professional, Starter. */
export const COMPANY_TIERS = ['Enterprise', 'Professional', 'Starter'] as const;
const COMPANY_WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell'];
const COMPANY_SUFFIX = ['Ltd', 'GmbH', 'Inc', 'SA', 'BV', 'Oy'];
const SUBJECTS: Record<(typeof CATEGORIES)[number], string[]> = {
  PRODUCT_ISSUE: ['Export fails with an error', 'Dashboard does not load', 'Sync stuck since this morning'],
  BILLING_ISSUE: ['Charged twice this month', 'Invoice shows the wrong VAT number', 'Cannot update card'],
  FEATURE_REQUEST: ['Please add SSO for our team', 'Bulk edit for records', 'Dark mode?'],
  GENERAL_INQUIRY: ['How do I invite a colleague?', 'Question about data retention', 'Where is the API key?'],
};
const COMMENTS = [
  'Took three days to get an answer.',
  'Great help, thank you!',
  'Nobody replied to my second email.',
  'Fast and friendly.',
  'The fix did not work and the ticket was closed anyway.',
  '',
];
/**
 * Which comments (indexes into COMMENTS; '' is an empty one) an answer may carry: customers who score low
 * complain, those who score high praise, the rest leave it empty. CES answers carry none (kept so, as the
 * generated portals and the figures measured on them stay the same).
 */
const COMMENTS_NEGATIVE = [0, 2, 4, 5];
const COMMENTS_POSITIVE = [1, 3, 5];
const COMMENTS_NONE = [5];
function commentChoices(type: number, value: number): readonly number[] {
  if (type === 0) return value <= 6 ? COMMENTS_NEGATIVE : value >= 9 ? COMMENTS_POSITIVE : COMMENTS_NONE;
  if (type === 1) return value <= 2 ? COMMENTS_NEGATIVE : value >= 4 ? COMMENTS_POSITIVE : COMMENTS_NONE;
  return COMMENTS_NONE;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type SimOwner = {
  id: string;
  email: string | undefined;
  firstName: string;
  lastName: string;
  userId: number | undefined;
  type: 'PERSON' | 'QUEUE';
  teams: { id: string; name: string; primary: boolean }[];
  createdAt: number;
  updatedAt: number;
  archived: boolean;
};

const NONE = -1;
const edits = (properties: Record<string, string | null>) =>
  Object.entries(properties).map(([name, value]) => ({ name, value }));
/** When the simulated companies and contacts were created and, unless changed since, last modified. */
const CRM_EPOCH = Date.parse('2024-01-01T00:00:00.000Z');

/** A change in the portal, as HubSpot's webhooks and journal report them. */
export type SimChange = {
  objectType: 'tickets' | 'feedback_submissions' | 'users' | 'companies' | 'contacts';
  objectId: string;
  action: 'CREATE' | 'UPDATE' | 'DELETE';
  at: number;
  /** Properties whose value changed (for UPDATE). */
  properties: { name: string; value: string | null }[];
};

/** A HubSpot user (CRM object 0-115), with the availability properties HubSpot's users guide documents. */
export type SimUser = {
  id: string;
  /** Index into `owners` (the same person as an owner of records). */
  owner: number;
  email: string;
  firstName: string;
  lastName: string;
  availability: 'available' | 'away' | null;
  timeZone: string | null;
  /** hs_working_hours and hs_out_of_office_hours exactly as HubSpot stores them: JSON text. */
  workingHours: string | null;
  outOfOffice: string | null;
  jobTitle: string | null;
  createdAt: number;
  modifiedAt: number;
};

/** An admin-configured rule HubSpot enforces on 2026-09 API writes: setting `when` requires `requires` to be set. */
export type SimValidationRule = { when: string; requires: string };

const TIME_ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Singapore', 'Europe/London', 'America/Los_Angeles'];

/**
 * Ticket columns. Times are epoch ms (NaN = empty); indexes are -1 when empty.
 * Float64Array for times (epoch ms exceed int32), Int32Array/Uint8Array for the rest.
 */
class TicketColumns {
  createdAt: Float64Array;
  modifiedAt: Float64Array;
  closedAt: Float64Array;
  reopenedAt: Float64Array;
  firstReplyAt: Float64Array;
  lastCustomerAt: Float64Array;
  lastAgentAt: Float64Array;
  stageEnteredAt: Float64Array;
  slaFirstDueAt: Float64Array;
  pipeline: Uint8Array;
  stage: Uint8Array;
  priority: Int8Array;
  category: Int8Array;
  source: Int8Array;
  subject: Uint8Array;
  owner: Int16Array;
  contact: Int32Array;
  company: Int32Array;
  archived: Uint8Array;
  archivedAt: Float64Array;
  /** Set by tests to make a record malformed on the wire. */
  corrupt: Uint8Array;

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    const f = () => new Float64Array(capacity).fill(Number.NaN);
    this.createdAt = f();
    this.modifiedAt = f();
    this.closedAt = f();
    this.reopenedAt = f();
    this.firstReplyAt = f();
    this.lastCustomerAt = f();
    this.lastAgentAt = f();
    this.stageEnteredAt = f();
    this.slaFirstDueAt = f();
    this.archivedAt = f();
    this.pipeline = new Uint8Array(capacity);
    this.stage = new Uint8Array(capacity);
    this.priority = new Int8Array(capacity);
    this.category = new Int8Array(capacity);
    this.source = new Int8Array(capacity);
    this.subject = new Uint8Array(capacity);
    this.owner = new Int16Array(capacity);
    this.contact = new Int32Array(capacity);
    this.company = new Int32Array(capacity);
    this.archived = new Uint8Array(capacity);
    this.corrupt = new Uint8Array(capacity);
  }

  grow(): TicketColumns {
    const next = new TicketColumns(Math.max(16, this.capacity * 2));
    for (const key of Object.keys(this) as (keyof TicketColumns)[]) {
      const column = this[key];
      if (ArrayBuffer.isView(column)) (next[key] as typeof column).set(column as never);
    }
    return next;
  }
}

export const TICKET_ID_BASE = 3_000_000_000;
export const CONTACT_ID_BASE = 500_000;
export const COMPANY_ID_BASE = 9_000_000;
export const FEEDBACK_ID_BASE = 70_000_000;

/** The simulated portal: data plus the mutations tests and benchmarks use. */
export class SimPortal {
  readonly portalId: number;
  readonly timeZone: string;
  readonly owners: SimOwner[];
  readonly pipelines = PIPELINES;
  ticketCount = 0;
  t: TicketColumns;
  /** Subjects written by a test (updateTicket), over the generated ones. */
  private readonly subjects = new Map<number, string>();
  readonly contactCount: number;
  readonly companyCount: number;
  readonly contactCompany: Int32Array;
  /** Last-modified instants of companies and contacts (epoch ms); properties changed through the methods below. */
  readonly companyModifiedAt: Float64Array;
  readonly contactModifiedAt: Float64Array;
  private readonly companyEdits = new Map<number, Record<string, string | null>>();
  private readonly contactEdits = new Map<number, Record<string, string | null>>();
  feedbackCount = 0;
  readonly feedback: {
    type: Uint8Array;
    value: Int8Array;
    submittedAt: Float64Array;
    contact: Int32Array;
    ticket: Int32Array;
    comment: Int8Array;
  };
  readonly users: SimUser[];
  /** Rules the simulator enforces on PATCH, as HubSpot does from API version 2026-09. */
  readonly validationRules: SimValidationRule[] = [];
  /** The conversations inbox: a thread per email and chat ticket (conversations.ts). */
  readonly conversations = new SimConversations();
  private readonly random: Random;
  private readonly listeners = new Set<(changes: SimChange[]) => void>();
  /** Bumped on every change, so cached sort orders know when to rebuild. */
  version = 0;

  constructor(options: PortalOptions) {
    const random = createRandom(options.seed ?? 42);
    this.random = random;
    const ticketTotal = options.tickets ?? 1000;
    const days = options.days ?? 90;
    const now = options.now;
    this.portalId = options.portalId ?? 2_841_337;
    this.timeZone = options.timeZone ?? 'US/Eastern';
    this.owners = makeOwners(random, options.owners ?? 12, now - days * DAY - 30 * DAY);
    this.contactCount = Math.max(1, Math.ceil(ticketTotal / 3));
    this.companyCount = Math.max(1, Math.ceil(ticketTotal / 25));
    this.contactCompany = new Int32Array(this.contactCount);
    this.companyModifiedAt = new Float64Array(this.companyCount).fill(CRM_EPOCH);
    this.contactModifiedAt = new Float64Array(this.contactCount).fill(CRM_EPOCH);
    for (let c = 0; c < this.contactCount; c++) {
      this.contactCompany[c] = random.chance(0.85) ? random.int(0, this.companyCount) : NONE;
    }
    this.t = new TicketColumns(Math.max(16, ticketTotal));
    const start = now - days * DAY;
    for (let i = 0; i < ticketTotal; i++) {
      // Spread creation times evenly with jitter, so ids ascend with creation like HubSpot's.
      const created = start + ((i + random.next()) / ticketTotal) * days * DAY;
      this.addTicket(Math.min(created, now - MINUTE), now, options.archivedShare ?? 0.01);
    }
    const feedbackTotal = Math.floor(ticketTotal * (options.feedbackPerTicket ?? 0.1));
    this.feedback = {
      type: new Uint8Array(feedbackTotal),
      value: new Int8Array(feedbackTotal),
      submittedAt: new Float64Array(feedbackTotal),
      contact: new Int32Array(feedbackTotal),
      ticket: new Int32Array(feedbackTotal),
      comment: new Int8Array(feedbackTotal),
    };
    for (let f = 0; f < feedbackTotal; f++) {
      const type = random.weighted([5, 4, 1]);
      const ticket = random.chance(0.8) ? random.int(0, this.ticketCount) : NONE;
      const base = ticket === NONE ? start + random.next() * days * DAY : this.t.closedAt[ticket]!;
      const submitted = Number.isNaN(base) ? start + random.next() * days * DAY : base + random.next() * 2 * DAY;
      this.feedback.type[f] = type;
      this.feedback.value[f] =
        type === 0
          ? random.weighted([1, 1, 1, 1, 1, 2, 3, 6, 8, 10, 9])
          : type === 1
            ? random.int(1, 6)
            : random.int(1, 8);
      this.feedback.submittedAt[f] = Math.round(Math.min(submitted, now - MINUTE));
      this.feedback.contact[f] = ticket === NONE ? random.int(0, this.contactCount) : this.t.contact[ticket]!;
      this.feedback.ticket[f] = ticket;
      // One draw either way, so the rest of the portal is the same as before comments followed the score.
      const choices = commentChoices(type, this.feedback.value[f]!);
      this.feedback.comment[f] = random.chance(0.4) ? choices[random.int(0, choices.length)]! : NONE;
    }
    this.feedbackCount = feedbackTotal;
    this.users = makeUsers(random, this.owners, now);
  }

  /** Registers a listener for changes made through the mutation methods below (webhooks and the journal use it). */
  onChange(listener: (changes: SimChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(changes: SimChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }

  private ticketChange(i: number, action: SimChange['action'], at: number): SimChange {
    const props = this.ticketProperties(i);
    const properties =
      action === 'UPDATE'
        ? ['hs_pipeline_stage', 'hs_last_message_received_at', 'hs_last_message_sent_at', 'hubspot_owner_id'].map(
            (name) => ({ name, value: props[name] ?? null }),
          )
        : [];
    return { objectType: 'tickets', objectId: this.ticketId(i), action, at, properties };
  }

  /** Creates one ticket with plausible history up to `now`; returns its index. */
  addTicket(created: number, now: number, archivedShare = 0): number {
    if (this.ticketCount === this.t.capacity) this.t = this.t.grow();
    const r = this.random;
    const t = this.t;
    const i = this.ticketCount++;
    const pipeline = r.chance(0.85) ? 0 : 1;
    const priority = r.weighted([30, 45, 20, 5]);
    const category = r.chance(0.9) ? r.weighted([40, 20, 15, 25]) : NONE;
    const ownerIndex = r.chance(0.93) ? r.int(0, this.owners.length) : NONE;
    t.createdAt[i] = created;
    t.pipeline[i] = pipeline;
    t.priority[i] = r.chance(0.97) ? priority : NONE;
    t.category[i] = category;
    t.source[i] = r.weighted([50, 30, 15, 5]);
    t.subject[i] = r.int(0, 3);
    t.owner[i] = ownerIndex;
    t.contact[i] = r.int(0, this.contactCount);
    t.company[i] = this.contactCompany[t.contact[i]!]!;
    // Reply time in business-ish minutes: faster for urgent tickets, long tail for everyone.
    const medianReply = [240, 120, 60, 20][priority]! * MINUTE;
    const firstReply = created + r.logNormal(medianReply, 1.1);
    let last = created;
    t.lastCustomerAt[i] = created;
    // The conversation as it happened (no random draws of its own: the rest of the portal stays as it was).
    const history: [number, 'customer' | 'agent'][] = [[created, 'customer']];
    if (firstReply < now) {
      t.firstReplyAt[i] = firstReply;
      t.lastAgentAt[i] = firstReply;
      history.push([firstReply, 'agent']);
      last = firstReply;
      // A few rounds of back-and-forth.
      const rounds = r.weighted([40, 30, 20, 10]);
      let at = firstReply;
      for (let k = 0; k < rounds; k++) {
        const customer = at + r.logNormal(6 * HOUR, 1.2);
        if (customer >= now) break;
        t.lastCustomerAt[i] = customer;
        history.push([customer, 'customer']);
        last = customer;
        const agent = customer + r.logNormal(medianReply, 1.1);
        if (agent >= now) break;
        t.lastAgentAt[i] = agent;
        history.push([agent, 'agent']);
        last = agent;
        at = agent;
      }
    }
    const closable = (t.lastAgentAt[i] ?? Number.NaN) >= (t.lastCustomerAt[i] ?? 0);
    const closeAt = last + r.logNormal(DAY, 1);
    if (closable && closeAt < now && r.chance(0.92)) {
      t.closedAt[i] = closeAt;
      t.stage[i] = 3;
      t.stageEnteredAt[i] = closeAt;
      last = closeAt;
      if (r.chance(0.03) && closeAt + 2 * DAY < now) {
        // Reopened by a customer reply, then answered.
        const reopened = closeAt + r.next() * 2 * DAY;
        t.reopenedAt[i] = reopened;
        t.lastCustomerAt[i] = reopened;
        history.push([reopened, 'customer']);
        t.closedAt[i] = Number.NaN;
        t.stage[i] = 0;
        t.stageEnteredAt[i] = reopened;
        last = reopened;
      }
    } else {
      const waitingOnCustomer = !Number.isNaN(t.lastAgentAt[i]!) && t.lastAgentAt[i]! >= t.lastCustomerAt[i]!;
      t.stage[i] = waitingOnCustomer ? 1 : Number.isNaN(t.firstReplyAt[i]!) ? 0 : 2;
      t.stageEnteredAt[i] = waitingOnCustomer ? t.lastAgentAt[i]! : Number.isNaN(t.firstReplyAt[i]!) ? created : last;
    }
    // HubSpot's own SLA fields are only set on help-desk channel tickets (chat/email), and often not even then.
    if (t.source[i]! <= 1 && r.chance(0.3)) t.slaFirstDueAt[i] = created + [8, 4, 2, 1][priority]! * HOUR;
    t.modifiedAt[i] = Math.min(now, last + r.next() * MINUTE * 5);
    if (r.chance(archivedShare)) {
      t.archived[i] = 1;
      t.archivedAt[i] = Math.min(now, t.modifiedAt[i]! + HOUR);
    }
    // HubSpot's timestamps are whole milliseconds.
    for (const column of [
      t.createdAt,
      t.modifiedAt,
      t.closedAt,
      t.reopenedAt,
      t.firstReplyAt,
      t.lastCustomerAt,
      t.lastAgentAt,
      t.stageEnteredAt,
      t.slaFirstDueAt,
      t.archivedAt,
    ]) {
      column[i] = Math.round(column[i]!);
    }
    // Email and chat tickets have a conversation thread; forms and phone calls (tickets made by a workflow, the
    // API or a person) do not.
    if (t.source[i]! <= 1) this.recordThread(i, history);
    this.version++;
    return i;
  }

  /** The ticket's conversation: its messages, and what else a thread shows (chat greetings, notes, assignments). */
  private recordThread(i: number, history: readonly [number, 'customer' | 'agent'][]): void {
    const t = this.t;
    const chat = t.source[i] === 1;
    const c = this.conversations;
    const k = c.threadOfTicket(i) ?? c.openThread(i, t.createdAt[i]!, chat);
    const created = t.createdAt[i]!;
    if (chat) c.add(k, 'welcome', created - 1000);
    let customerTurn = 0;
    let agentTurn = 0;
    for (const [at, who] of history) {
      if (who === 'customer') {
        // The first message is the request; later ones are follow-ups.
        const text = customerTurn === 0 ? i % 4 : 4 + ((i + customerTurn) % 4);
        c.add(k, 'customer', at, text);
        customerTurn++;
      } else {
        c.add(k, 'agent', at, CUSTOMER_TEXTS.length + ((i + agentTurn) % AGENT_TEXTS.length));
        agentTurn++;
      }
    }
    if (t.owner[i]! !== NONE && i % 4 === 0) c.add(k, 'assignment', created + 1000);
    const firstReply = t.firstReplyAt[i]!;
    if (i % 6 === 0 && !Number.isNaN(firstReply)) c.add(k, 'comment', created + (firstReply - created) / 2);
  }

  ticketId(index: number): string {
    return String(TICKET_ID_BASE + index);
  }

  ticketIndex(id: string): number | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    const index = Number(id) - TICKET_ID_BASE;
    return index >= 0 && index < this.ticketCount ? index : undefined;
  }

  /** Renders a ticket's full property map, every value a string or null, as HubSpot does. */
  ticketProperties(i: number): Record<string, string | null> {
    const t = this.t;
    const iso = (ms: number) => (Number.isNaN(ms) ? null : new Date(ms).toISOString());
    const pipeline = PIPELINES[t.pipeline[i]!]!;
    const stage = pipeline.stages[t.stage[i]!]!;
    const owner = t.owner[i]! === NONE ? undefined : this.owners[t.owner[i]!];
    const category = t.category[i]! === NONE ? undefined : CATEGORIES[t.category[i]!];
    const source = SOURCES[t.source[i]!]!;
    const slaDue = t.slaFirstDueAt[i]!;
    const firstReply = t.firstReplyAt[i]!;
    const slaStatus = Number.isNaN(slaDue) ? null : Number.isNaN(firstReply) ? '0' : firstReply <= slaDue ? '3' : '4';
    const props: Record<string, string | null> = {
      hs_object_id: this.ticketId(i),
      createdate: iso(t.createdAt[i]!),
      hs_lastmodifieddate: iso(t.modifiedAt[i]!),
      subject:
        this.subjects.get(i) ?? (category ? `${SUBJECTS[category][t.subject[i]!]} (#${i})` : `Help needed (#${i})`),
      content: 'Customer message body.',
      hs_pipeline: pipeline.id,
      hs_pipeline_stage: stage.id,
      hs_ticket_priority: t.priority[i]! === NONE ? null : PRIORITIES[t.priority[i]!]!,
      hs_ticket_category: category ?? null,
      source_type: source,
      hubspot_owner_id: owner?.id ?? null,
      hubspot_team_id: owner?.teams.find((team) => team.primary)?.id ?? null,
      closed_date: iso(t.closedAt[i]!),
      hs_ticket_reopened_at: iso(t.reopenedAt[i]!),
      // Email-only and any-channel first replies: HubSpot fills one or both depending on the channel.
      first_agent_reply_date: source === 'EMAIL' ? iso(firstReply) : null,
      hs_first_agent_message_sent_at: source === 'EMAIL' && t.subject[i]! === 0 ? null : iso(firstReply),
      last_reply_date: source === 'EMAIL' ? iso(t.lastCustomerAt[i]!) : null,
      hs_last_message_received_at: iso(t.lastCustomerAt[i]!),
      hs_last_message_sent_at: iso(t.lastAgentAt[i]!),
      hs_last_message_from_visitor: String(Number.isNaN(t.lastAgentAt[i]!) || t.lastCustomerAt[i]! > t.lastAgentAt[i]!),
      hs_v2_date_entered_current_stage: iso(t.stageEnteredAt[i]!),
      time_to_first_agent_reply: Number.isNaN(firstReply) ? null : String(Math.round(firstReply - t.createdAt[i]!)),
      hs_time_to_first_response_sla_at: iso(slaDue),
      hs_time_to_first_response_sla_status: slaStatus,
      hs_time_to_next_response_sla_at: null,
      hs_time_to_next_response_sla_status: null,
      hs_time_to_close_sla_at: null,
      hs_time_to_close_sla_status: null,
    };
    if (t.corrupt[i]) props['createdate'] = 'not-a-date';
    return props;
  }

  ticketStageId(i: number): string {
    return PIPELINES[this.t.pipeline[i]!]!.stages[this.t.stage[i]!]!.id;
  }

  contactId(c: number): string {
    return String(CONTACT_ID_BASE + c);
  }

  contactIndex(id: string): number | undefined {
    const c = Number(id) - CONTACT_ID_BASE;
    return Number.isInteger(c) && c >= 0 && c < this.contactCount ? c : undefined;
  }

  contactProperties(c: number): Record<string, string | null> {
    const first = FIRST_NAMES[c % FIRST_NAMES.length]!;
    const last = LAST_NAMES[Math.floor(c / FIRST_NAMES.length) % LAST_NAMES.length]!;
    const company = this.contactCompany[c]!;
    return {
      hs_object_id: this.contactId(c),
      firstname: first,
      lastname: last,
      email: `${first
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}.${c}@example.com`,
      associatedcompanyid: company === NONE ? null : this.companyId(company),
      // A custom contact property: every 17th contact is a VIP.
      vip: c % 17 === 0 ? 'true' : 'false',
      createdate: '2024-01-01T00:00:00.000Z',
      ...this.contactEdits.get(c),
      lastmodifieddate: new Date(this.contactModifiedAt[c]!).toISOString(),
    };
  }

  companyId(k: number): string {
    return String(COMPANY_ID_BASE + k);
  }

  companyIndex(id: string): number | undefined {
    const k = Number(id) - COMPANY_ID_BASE;
    return Number.isInteger(k) && k >= 0 && k < this.companyCount ? k : undefined;
  }

  companyProperties(k: number): Record<string, string | null> {
    const word = COMPANY_WORDS[k % COMPANY_WORDS.length]!;
    const suffix = COMPANY_SUFFIX[Math.floor(k / COMPANY_WORDS.length) % COMPANY_SUFFIX.length]!;
    return {
      hs_object_id: this.companyId(k),
      name: `${word} ${k} ${suffix}`,
      domain: `${word.toLowerCase()}${k}.example`,
      // Every 10th company is Enterprise, every 3rd (of the rest) Professional.
      tier: k % 10 === 0 ? COMPANY_TIERS[0] : k % 3 === 0 ? COMPANY_TIERS[1] : COMPANY_TIERS[2],
      createdate: '2024-01-01T00:00:00.000Z',
      ...this.companyEdits.get(k),
      hs_lastmodifieddate: new Date(this.companyModifiedAt[k]!).toISOString(),
    };
  }

  /** Changes a company's properties at `at`, as a user editing it in HubSpot would (search sees it after its lag). */
  setCompanyProperties(id: string, properties: Record<string, string | null>, at: number): void {
    const k = this.companyIndex(id);
    if (k === undefined) throw new Error(`simulator: no company ${id}`);
    this.companyEdits.set(k, { ...this.companyEdits.get(k), ...properties });
    this.companyModifiedAt[k] = at;
    this.version++;
    this.emit([{ objectType: 'companies', objectId: id, action: 'UPDATE', at, properties: edits(properties) }]);
  }

  setContactProperties(id: string, properties: Record<string, string | null>, at: number): void {
    const c = this.contactIndex(id);
    if (c === undefined) throw new Error(`simulator: no contact ${id}`);
    this.contactEdits.set(c, { ...this.contactEdits.get(c), ...properties });
    this.contactModifiedAt[c] = at;
    this.version++;
    this.emit([{ objectType: 'contacts', objectId: id, action: 'UPDATE', at, properties: edits(properties) }]);
  }

  feedbackId(f: number): string {
    return String(FEEDBACK_ID_BASE + f);
  }

  feedbackIndex(id: string): number | undefined {
    const f = Number(id) - FEEDBACK_ID_BASE;
    return Number.isInteger(f) && f >= 0 && f < this.feedbackCount ? f : undefined;
  }

  feedbackProperties(f: number): Record<string, string | null> {
    const fb = this.feedback;
    const type = SURVEY_TYPES[fb.type[f]!]!;
    const value = fb.value[f]!;
    const group =
      type === 'NPS'
        ? value <= 6
          ? 'DETRACTOR'
          : value <= 8
            ? 'PASSIVE'
            : 'PROMOTER'
        : type === 'CSAT'
          ? value <= 2
            ? 'DETRACTOR'
            : value === 3
              ? 'PASSIVE'
              : 'PROMOTER'
          : // CES as HubSpot groups it: 1–3 detractors, 4–5 passives, 6–7 promoters (7 = very easy).
            value <= 3
            ? 'DETRACTOR'
            : value <= 5
              ? 'PASSIVE'
              : 'PROMOTER';
    const submitted = new Date(fb.submittedAt[f]!).toISOString();
    const comment = fb.comment[f]! === NONE ? null : COMMENTS[fb.comment[f]!]!;
    return {
      hs_object_id: this.feedbackId(f),
      hs_createdate: submitted,
      hs_lastmodifieddate: submitted,
      hs_survey_type: type,
      hs_value: String(value),
      hs_response_group: group,
      hs_content: comment === '' ? null : comment,
      hs_submission_timestamp: submitted,
      hs_survey_channel: 'EMAIL',
      hs_sentiment: group === 'DETRACTOR' ? 'NEGATIVE' : group === 'PROMOTER' ? 'POSITIVE' : 'NEUTRAL',
      hs_survey_id: String(100 + fb.type[f]!),
      hs_survey_name: `${type} survey`,
    };
  }

  // ------------------------------------------------------------ mutations for tests and benchmarks

  /** Changes `count` distinct non-archived tickets at `at` (a stage move or a customer reply). Returns their ids. */
  touchTickets(count: number, at: number, options: { sameTimestamp?: boolean; seed?: number } = {}): string[] {
    const r = createRandom(options.seed ?? 7);
    const chosen = new Set<number>();
    const live = this.ticketCount;
    const limit = Math.min(count, live);
    for (let guard = 0; chosen.size < limit && guard < limit * 20; guard++) {
      const i = r.int(0, live);
      if (!this.t.archived[i]) chosen.add(i);
    }
    const ordered = [...chosen];
    const changes: SimChange[] = [];
    ordered.forEach((i, k) => {
      const when = options.sameTimestamp ? at : at - (ordered.length - 1 - k);
      this.changeTicket(i, when, r);
      changes.push(this.ticketChange(i, 'UPDATE', when));
    });
    this.version++;
    this.emit(changes);
    return ordered.map((i) => this.ticketId(i));
  }

  /** Changes the given tickets at `at` (tests use it to move records while a sync pages through them). */
  touchTicketIds(ids: readonly string[], at: number): void {
    const r = createRandom(ids.length);
    const changes: SimChange[] = [];
    for (const id of ids) {
      const i = this.mustTicket(id);
      this.changeTicket(i, at, r);
      changes.push(this.ticketChange(i, 'UPDATE', at));
    }
    this.version++;
    this.emit(changes);
  }

  private changeTicket(i: number, at: number, r: Random): void {
    const t = this.t;
    const open = t.stage[i]! !== 3;
    // hs_v2_date_entered_current_stage only moves when the stage does.
    const enter = (stage: number) => {
      if (t.stage[i] !== stage) t.stageEnteredAt[i] = at;
      t.stage[i] = stage;
    };
    const thread = this.conversations.threadOfTicket(i);
    if (open && r.chance(0.5)) {
      // An agent replies and waits on the customer.
      t.lastAgentAt[i] = at;
      if (Number.isNaN(t.firstReplyAt[i]!)) t.firstReplyAt[i] = at;
      if (thread !== undefined)
        this.conversations.add(thread, 'agent', at, CUSTOMER_TEXTS.length + (i % AGENT_TEXTS.length));
      enter(1);
    } else {
      // The customer writes (re-opening a closed ticket).
      t.lastCustomerAt[i] = at;
      if (thread !== undefined) this.conversations.add(thread, 'customer', at, 4 + (i % 4));
      if (!open) {
        t.reopenedAt[i] = at;
        t.closedAt[i] = Number.NaN;
      }
      enter(2);
    }
    t.modifiedAt[i] = at;
  }

  /** Moves a ticket to a stage (by index in its pipeline) at `at`. */
  moveTicket(id: string, stageIndex: number, at: number): void {
    const i = this.mustTicket(id);
    if (this.t.stage[i] !== stageIndex) this.t.stageEnteredAt[i] = at;
    this.t.stage[i] = stageIndex;
    this.t.modifiedAt[i] = at;
    if (PIPELINES[this.t.pipeline[i]!]!.stages[stageIndex]!.state === 'CLOSED') this.t.closedAt[i] = at;
    else this.t.closedAt[i] = Number.NaN;
    this.version++;
    this.emit([this.ticketChange(i, 'UPDATE', at)]);
  }

  /**
   * Writes ticket properties as a PATCH does (owner, category, priority, subject, stage); throws on any other property. The
   * server checks HubSpot's validation rules before calling this.
   */
  updateTicket(id: string, properties: Record<string, string | null>, at: number): void {
    const i = this.mustTicket(id);
    const t = this.t;
    for (const [name, value] of Object.entries(properties)) {
      if (name === 'hubspot_owner_id') {
        t.owner[i] = value ? this.owners.findIndex((o) => o.id === value) : NONE;
      } else if (name === 'hs_ticket_category') {
        t.category[i] = value ? CATEGORIES.indexOf(value as (typeof CATEGORIES)[number]) : NONE;
      } else if (name === 'subject') {
        if (value === null) this.subjects.delete(i);
        else this.subjects.set(i, value);
      } else if (name === 'hs_ticket_priority') {
        t.priority[i] = value ? PRIORITIES.indexOf(value as (typeof PRIORITIES)[number]) : NONE;
      } else if (name === 'hs_pipeline_stage' && value) {
        // A stage of the ticket's own pipeline (the server refuses any other first), entered now.
        const stage = PIPELINES[t.pipeline[i]!]!.stages.findIndex((st) => st.id === value);
        if (stage < 0) throw new Error(`simulator: stage ${value} is not in the ticket's pipeline`);
        if (t.stage[i] !== stage) t.stageEnteredAt[i] = at;
        t.stage[i] = stage;
        if (PIPELINES[t.pipeline[i]!]!.stages[stage]!.state === 'CLOSED') t.closedAt[i] = at;
        else t.closedAt[i] = Number.NaN;
      } else {
        throw new Error(`simulator: cannot write ticket property ${name}`);
      }
    }
    t.modifiedAt[i] = at;
    this.version++;
    this.emit([
      {
        objectType: 'tickets',
        objectId: id,
        action: 'UPDATE',
        at,
        properties: Object.entries(properties).map(([name, value]) => ({ name, value })),
      },
    ]);
  }

  /** Archives (deletes) a ticket, as a user deleting it in HubSpot would. */
  archiveTicket(id: string, at: number): void {
    const i = this.mustTicket(id);
    this.t.archived[i] = 1;
    this.t.archivedAt[i] = at;
    this.version++;
    this.emit([this.ticketChange(i, 'DELETE', at)]);
  }

  /** Brings an archived ticket back (HubSpot's restore), changed at `at`. */
  restoreTicket(id: string, at: number): void {
    const i = this.mustTicket(id);
    this.t.archived[i] = 0;
    this.t.archivedAt[i] = Number.NaN;
    this.t.modifiedAt[i] = at;
    this.version++;
    this.emit([{ ...this.ticketChange(i, 'UPDATE', at), action: 'CREATE' }]);
  }

  /** Makes a ticket's createdate unparsable on the wire (the API never does this; tests need it). */
  corruptTicket(id: string): void {
    this.t.corrupt[this.mustTicket(id)] = 1;
    this.version++;
  }

  createTickets(count: number, at: number): string[] {
    const ids: string[] = [];
    for (let k = 0; k < count; k++) {
      const i = this.addTicket(at - (count - k), at);
      // A brand-new ticket has no reply yet and was last modified when it was created.
      const t = this.t;
      t.createdAt[i] = at - (count - k);
      t.firstReplyAt[i] = Number.NaN;
      t.lastAgentAt[i] = Number.NaN;
      t.lastCustomerAt[i] = t.createdAt[i]!;
      t.closedAt[i] = Number.NaN;
      t.reopenedAt[i] = Number.NaN;
      t.stage[i] = 0;
      t.stageEnteredAt[i] = t.createdAt[i]!;
      t.modifiedAt[i] = t.createdAt[i]!;
      t.archived[i] = 0;
      // Its conversation so far: the request alone.
      const thread = this.conversations.threadOfTicket(i);
      if (thread !== undefined) {
        this.conversations.clearThread(thread);
        if (t.source[i] === 1) this.conversations.add(thread, 'welcome', t.createdAt[i]! - 1000);
        this.conversations.add(thread, 'customer', t.createdAt[i]!, i % 4);
      }
      ids.push(this.ticketId(i));
    }
    this.version++;
    this.emit(
      ids.map((id) => {
        const i = this.mustTicket(id);
        return this.ticketChange(i, 'CREATE', this.t.createdAt[i]!);
      }),
    );
    return ids;
  }

  /** A new feedback answer (a customer filled in a survey) about `ticketId`; returns its id. */
  addFeedback(input: { ticketId: string; type: (typeof SURVEY_TYPES)[number]; value: number }, at: number): string {
    const ticket = this.mustTicket(input.ticketId);
    const f = this.feedbackCount;
    const fb = this.feedback;
    if (f === fb.type.length) {
      const grow = <A extends Uint8Array | Int8Array | Float64Array | Int32Array>(a: A): A => {
        const next = new (a.constructor as new (n: number) => A)(Math.max(16, a.length * 2));
        next.set(a);
        return next;
      };
      fb.type = grow(fb.type);
      fb.value = grow(fb.value);
      fb.submittedAt = grow(fb.submittedAt);
      fb.contact = grow(fb.contact);
      fb.ticket = grow(fb.ticket);
      fb.comment = grow(fb.comment);
    }
    fb.type[f] = SURVEY_TYPES.indexOf(input.type);
    fb.value[f] = input.value;
    fb.submittedAt[f] = at;
    fb.contact[f] = this.t.contact[ticket]!;
    fb.ticket[f] = ticket;
    fb.comment[f] = NONE;
    this.feedbackCount++;
    this.version++;
    const id = this.feedbackId(f);
    this.emit([{ objectType: 'feedback_submissions', objectId: id, action: 'CREATE', at, properties: [] }]);
    return id;
  }

  // ------------------------------------------------------------ users

  userIndex(id: string): number | undefined {
    const k = this.users.findIndex((u) => u.id === id);
    return k < 0 ? undefined : k;
  }

  /** HubSpot's user properties (hs_*), every value a string or null. */
  userProperties(k: number): Record<string, string | null> {
    const u = this.users[k]!;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      hs_object_id: u.id,
      hs_createdate: iso(u.createdAt),
      hs_lastmodifieddate: iso(u.modifiedAt),
      hs_email: u.email,
      hs_given_name: u.firstName,
      hs_family_name: u.lastName,
      hubspot_owner_id: this.owners[u.owner]?.id ?? null,
      hs_availability_status: u.availability,
      hs_standard_time_zone: u.timeZone,
      hs_working_hours: u.workingHours,
      hs_out_of_office_hours: u.outOfOffice,
      hs_job_title: u.jobTitle,
      hs_additional_phone: null,
    };
  }

  /** Changes a user's availability properties at `at` (someone sets themselves away, books time off, …). */
  updateUser(
    id: string,
    patch: Partial<Pick<SimUser, 'availability' | 'timeZone' | 'workingHours' | 'outOfOffice' | 'jobTitle'>>,
    at: number,
  ): void {
    const k = this.userIndex(id);
    if (k === undefined) throw new Error(`simulator: no user ${id}`);
    Object.assign(this.users[k]!, patch, { modifiedAt: at });
    this.version++;
    this.emit([{ objectType: 'users', objectId: id, action: 'UPDATE', at, properties: [] }]);
  }

  /**
   * Every user present around the clock (available, no working hours set, no time off) from `at`: for scenarios
   * about volume, where the random presence the portal draws would make who gets pinged depend on the hour.
   */
  makeEveryonePresent(at: number): void {
    for (const user of this.users) {
      this.updateUser(user.id, { availability: 'available', workingHours: null, outOfOffice: '[]' }, at);
    }
  }

  // ------------------------------------------------------------ conversations

  /** The id of a ticket's conversation thread, if it has one. */
  threadOf(ticketId: string): string | undefined {
    const k = this.conversations.threadOfTicket(this.mustTicket(ticketId));
    return k === undefined ? undefined : this.conversations.threadId(k);
  }

  /**
   * A message in a ticket's conversation at `at` (opening a thread if the ticket had none), as it happens in
   * HubSpot: the customer writing moves hs_last_message_received_at; any outgoing message — the AI agent's and a
   * bot's too — moves hs_last_message_sent_at (and the first agent message, the first time); an internal comment
   * or a welcome message moves nothing. Returns the message's id.
   */
  addMessage(ticketId: string, kind: SimMessageKind, at: number, text?: string): string {
    const i = this.mustTicket(ticketId);
    const t = this.t;
    const c = this.conversations;
    const k = c.threadOfTicket(i) ?? c.openThread(i, Math.min(at, t.createdAt[i]!), t.source[i] === 1);
    const e = c.add(k, kind, at, text);
    let changed = false;
    if (kind === 'customer') {
      t.lastCustomerAt[i] = at;
      changed = true;
    } else if (kind === 'agent' || kind === 'ai' || kind === 'bot') {
      t.lastAgentAt[i] = at;
      if (Number.isNaN(t.firstReplyAt[i]!)) t.firstReplyAt[i] = at;
      changed = true;
    }
    if (changed) t.modifiedAt[i] = Math.max(t.modifiedAt[i]!, at);
    this.version++;
    if (changed) this.emit([this.ticketChange(i, 'UPDATE', at)]);
    return c.entryId(e);
  }

  /** A chat that never became a ticket (listed with the threads, associated with nothing). Returns its id. */
  addLooseThread(at: number, text = 'Just browsing, do you ship to Norway?'): string {
    const k = this.conversations.openThread(-1, at, true);
    this.conversations.add(k, 'customer', at, text);
    this.version++;
    return this.conversations.threadId(k);
  }

  /** Marks a ticket's thread as spam (HubSpot keeps listing it, flagged). */
  markThreadSpam(ticketId: string): void {
    const k = this.conversations.threadOfTicket(this.mustTicket(ticketId));
    if (k === undefined) throw new Error(`simulator: ticket ${ticketId} has no thread`);
    this.conversations.markSpam(k);
    this.version++;
  }

  private mustTicket(id: string): number {
    const i = this.ticketIndex(id);
    if (i === undefined) throw new Error(`simulator: no ticket ${id}`);
    return i;
  }
}

function makeOwners(random: Random, count: number, createdAt: number): SimOwner[] {
  const owners: SimOwner[] = [];
  for (let k = 0; k < count; k++) {
    const first = FIRST_NAMES[k % FIRST_NAMES.length]!;
    const last = LAST_NAMES[(k * 5) % LAST_NAMES.length]!;
    const primary = TEAMS[k % TEAMS.length]!;
    const teams = [{ ...primary, primary: true }];
    // Some agents also help in a second team.
    if (random.chance(0.3)) teams.push({ ...TEAMS[(k + 1) % TEAMS.length]!, primary: false });
    owners.push({
      id: String(71_000_000 + k),
      email: `${first
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}.${last
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}@support.example`,
      firstName: first,
      lastName: last,
      userId: 9_100_000 + k,
      type: 'PERSON',
      teams,
      createdAt: createdAt,
      updatedAt: createdAt + k * HOUR,
      archived: false,
    });
  }
  // A shared queue, as many portals have; queues have no email.
  owners.push({
    id: String(71_000_000 + count),
    email: undefined,
    firstName: 'Support',
    lastName: 'Queue',
    userId: undefined,
    type: 'QUEUE',
    teams: [{ ...TEAMS[0], primary: true }],
    createdAt,
    updatedAt: createdAt,
    archived: false,
  });
  return owners;
}

function makeUsers(random: Random, owners: readonly SimOwner[], now: number): SimUser[] {
  const users: SimUser[] = [];
  owners.forEach((owner, k) => {
    if (owner.type !== 'PERSON' || !owner.email) return;
    const zone = TIME_ZONES[k % TIME_ZONES.length]!;
    // Most work Monday to Friday 9–17; some split shifts, a weekend rota, a few never set their hours.
    const shape = k % 5;
    const hours =
      shape === 4
        ? null
        : JSON.stringify(
            shape === 1
              ? [
                  { days: 'MONDAY_TO_FRIDAY', startMinute: 480, endMinute: 720 },
                  { days: 'MONDAY_TO_FRIDAY', startMinute: 780, endMinute: 1020 },
                ]
              : shape === 2
                ? [
                    { days: 'SATURDAY_SUNDAY', startMinute: 600, endMinute: 1080 },
                    { days: 'WEDNESDAY', startMinute: 540, endMinute: 1020 },
                  ]
                : [{ days: 'MONDAY_TO_FRIDAY', startMinute: 540, endMinute: 1020 }],
          );
    // About a third have time off booked around now.
    const away = random.chance(0.35)
      ? JSON.stringify([
          {
            startTimestamp: Math.round(now - random.int(1, 5) * DAY),
            endTimestamp: Math.round(now + random.int(1, 10) * DAY),
          },
        ])
      : '[]';
    users.push({
      id: String(207_838_800_000 + k),
      owner: k,
      email: owner.email,
      firstName: owner.firstName,
      lastName: owner.lastName,
      availability: random.chance(0.2) ? 'away' : 'available',
      timeZone: zone,
      workingHours: hours,
      outOfOffice: away,
      jobTitle: k % 3 === 0 ? 'Support lead' : 'Support agent',
      createdAt: owner.createdAt,
      modifiedAt: Math.round(owner.updatedAt + k * MINUTE),
    });
  });
  return users;
}
