// The simulator's webhooks journal, after HubSpot's 2026-03 journal guide and spec: an app's OBJECT subscriptions
// decide which portal changes are written; each entry (an offset, a UUID) holds up to `entrySize` events in a JSON
// file served from a pre-signed URL that expires; entries older than the history (3 days) are dropped, and asking
// for what follows a dropped offset answers 404.
import { createHmac } from 'node:crypto';
import { OBJECT_TYPE_IDS } from '../api-version.ts';
import type { SimChange } from './portal.ts';

export type SimSubscription = {
  id: number;
  appId: number;
  portalId: number;
  subscriptionType: 'OBJECT';
  objectTypeId: string;
  actions: string[];
  properties: string[];
  createdAt: number;
  updatedAt: number;
};

export type SimJournalEntry = { offset: string; publishedAt: number; events: Record<string, unknown>[] };

const OBJECT_TYPE_BY_NAME: Record<SimChange['objectType'], string> = {
  tickets: OBJECT_TYPE_IDS.tickets,
  feedback_submissions: OBJECT_TYPE_IDS.feedback_submissions,
  users: OBJECT_TYPE_IDS.users,
  companies: OBJECT_TYPE_IDS.companies,
  contacts: OBJECT_TYPE_IDS.contacts,
};

export type SimJournalOptions = {
  portalId: number;
  appId: number;
  clock: () => number;
  /** HubSpot keeps 3 days. */
  historyMs?: number;
  /** Events per entry file. */
  entrySize?: number;
  /** How long after a change its entry is readable (HubSpot's own publishing latency; 0 by default). */
  publishDelayMs?: number;
  /** How long a file URL stays valid. */
  urlTtlMs?: number;
  /** Object types the journal accepts subscriptions for (feedback can be switched off to test the refusal). */
  objectTypes?: readonly string[];
};

export class SimJournal {
  readonly entries: SimJournalEntry[] = [];
  readonly subscriptions: SimSubscription[] = [];
  private sequence = 0;
  private nextSubscriptionId = 1;
  private readonly secret = 'sim-journal-url-signing';
  readonly historyMs: number;

  private readonly options: SimJournalOptions;

  constructor(options: SimJournalOptions) {
    this.options = options;
    this.historyMs = options.historyMs ?? 3 * 86_400_000;
  }

  get objectTypes(): readonly string[] {
    return this.options.objectTypes ?? [OBJECT_TYPE_IDS.tickets, OBJECT_TYPE_IDS.feedback_submissions];
  }

  /** Upserts the app's subscription for an object type (one per type, as HubSpot's upsert does). */
  subscribe(request: { objectTypeId: string; actions: string[]; properties: string[] }): SimSubscription {
    const now = this.options.clock();
    const existing = this.subscriptions.find((s) => s.objectTypeId === request.objectTypeId);
    if (existing) {
      existing.actions = [...new Set([...existing.actions, ...request.actions])];
      existing.properties = [...new Set([...existing.properties, ...request.properties])];
      existing.updatedAt = now;
      return existing;
    }
    const subscription: SimSubscription = {
      id: this.nextSubscriptionId++,
      appId: this.options.appId,
      portalId: this.options.portalId,
      subscriptionType: 'OBJECT',
      objectTypeId: request.objectTypeId,
      actions: request.actions,
      properties: request.properties,
      createdAt: now,
      updatedAt: now,
    };
    this.subscriptions.push(subscription);
    return subscription;
  }

  /** Writes the changes the subscriptions cover, in order, `entrySize` events per entry. */
  record(changes: readonly SimChange[]): void {
    const events: Record<string, unknown>[] = [];
    for (const change of changes) {
      const objectTypeId = OBJECT_TYPE_BY_NAME[change.objectType];
      const subscription = this.subscriptions.find((s) => s.objectTypeId === objectTypeId);
      if (!subscription?.actions.includes(change.action)) continue;
      const watched =
        change.action === 'UPDATE' && subscription.properties.length > 0
          ? change.properties.filter((p) => subscription.properties.includes(p.name))
          : change.properties;
      // An update of properties nobody subscribed to is not written.
      if (change.action === 'UPDATE' && subscription.properties.length > 0 && watched.length === 0) continue;
      events.push({
        type: 'OBJECT',
        subscriptionId: subscription.id,
        portalId: this.options.portalId,
        appId: this.options.appId,
        occurredAt: change.at,
        action: change.action,
        objectTypeId,
        objectId: Number(change.objectId),
        propertyChanges: watched.map((p) => ({ propertyName: p.name, newValue: p.value })),
      });
    }
    const size = this.options.entrySize ?? 100;
    const publishedAt = this.options.clock() + (this.options.publishDelayMs ?? 0);
    for (let k = 0; k < events.length; k += size) {
      this.entries.push({ offset: this.newOffset(), publishedAt, events: events.slice(k, k + size) });
    }
  }

  private newOffset(): string {
    const n = ++this.sequence;
    return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  }

  /** Entries still kept and already published. */
  private visible(): SimJournalEntry[] {
    const now = this.options.clock();
    const oldest = now - this.historyMs;
    // Expired entries are gone for good, as HubSpot's are.
    while (this.entries.length > 0 && this.entries[0]!.publishedAt < oldest) this.entries.shift();
    return this.entries.filter((e) => e.publishedAt <= now);
  }

  earliest(count: number): SimJournalEntry[] {
    return this.visible().slice(0, count);
  }

  latest(count: number): SimJournalEntry[] {
    const visible = this.visible();
    return visible.slice(Math.max(0, visible.length - count));
  }

  /** Entries after `offset`; 'expired' when the offset is no longer (or never was) in the journal. */
  next(offset: string, count: number): SimJournalEntry[] | 'expired' {
    const visible = this.visible();
    const at = this.entries.findIndex((e) => e.offset === offset);
    if (at < 0) return 'expired';
    const after = this.entries[at]!;
    return visible.filter((e) => e.offset > after.offset).slice(0, count);
  }

  find(offset: string): SimJournalEntry | undefined {
    this.visible();
    return this.entries.find((e) => e.offset === offset);
  }

  /** JournalFetchResponse for an entry: a pre-signed URL valid for `urlTtlMs`. */
  fetchResponse(entry: SimJournalEntry, baseUrl: string): { currentOffset: string; expiresAt: string; url: string } {
    const expires = this.options.clock() + (this.options.urlTtlMs ?? 15 * 60_000);
    return {
      currentOffset: entry.offset,
      expiresAt: new Date(expires).toISOString(),
      url: `${baseUrl}/journal-files/${entry.offset}.json?expires=${expires}&signature=${this.sign(entry.offset, expires)}`,
    };
  }

  private sign(offset: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${offset}:${expires}`).digest('hex');
  }

  /** Serves a file URL: 'forbidden' when the signature is wrong or the URL expired (S3 answers 403 then). */
  file(offset: string, expires: number, signature: string): Record<string, unknown> | 'forbidden' | 'gone' {
    if (signature !== this.sign(offset, expires) || this.options.clock() > expires) return 'forbidden';
    const entry = this.find(offset);
    if (!entry) return 'gone';
    return {
      offset: entry.offset,
      publishedAt: new Date(entry.publishedAt).toISOString(),
      journalEvents: entry.events,
    };
  }
}
