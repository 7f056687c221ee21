// The HubSpot API versions Heed speaks, and every path it calls, in one place. HubSpot ships a dated version each
// March and September and supports each for 18 months (developers.hubspot.com/docs/developer-tooling/platform/
// versioning); moving Heed to 2027-03 is a change of API_VERSION below (and of the specs the tests check against).
//
// Three families are versioned apart because HubSpot versions them apart:
//   - the CRM, owners, pipelines, associations, account-info and conversations APIs: API_VERSION (2026-09, current);
//   - the webhooks journal: only a 2026-03 version exists (2027-03 is in beta);
//   - OAuth's token endpoint: the client-credentials token for the journal, date-versioned as 2026-03.
// No path here is a legacy semantic-version path (v1–v4): those lose support on 2027-03-30 (v4) and in
// September 2027 (v1–v3), and test/hubspot/legacy-paths.test.ts proves Heed calls none of them.

export const API_VERSION = '2026-09';
export const JOURNAL_API_VERSION = '2026-03';
export const OAUTH_API_VERSION = '2026-03';

export type CrmObjectType = 'tickets' | 'feedback_submissions' | 'contacts' | 'companies' | 'users';

/** HubSpot's object type ids, as the webhooks journal names objects. */
export const OBJECT_TYPE_IDS = {
  contacts: '0-1',
  companies: '0-2',
  tickets: '0-5',
  feedback_submissions: '0-19',
  users: '0-115',
} as const satisfies Record<CrmObjectType, string>;

const enc = encodeURIComponent;

export const paths = {
  accountDetails: () => `/account-info/${API_VERSION}/details`,
  owners: () => `/crm/owners/${API_VERSION}`,
  pipelines: (objectType: 'tickets') => `/crm/pipelines/${API_VERSION}/${objectType}`,
  objects: (type: CrmObjectType) => `/crm/objects/${API_VERSION}/${type}`,
  object: (type: CrmObjectType, id: string) => `/crm/objects/${API_VERSION}/${type}/${enc(id)}`,
  search: (type: CrmObjectType) => `/crm/objects/${API_VERSION}/${type}/search`,
  batchRead: (type: CrmObjectType) => `/crm/objects/${API_VERSION}/${type}/batch/read`,
  associationsBatchRead: (from: CrmObjectType, to: CrmObjectType) =>
    `/crm/associations/${API_VERSION}/${from}/${to}/batch/read`,
  /** Conversation threads (inbox: email, chat, …); each may be associated with a ticket. */
  threads: () => `/conversations/conversations/${API_VERSION}/threads`,
  threadMessages: (threadId: string) => `/conversations/conversations/${API_VERSION}/threads/${enc(threadId)}/messages`,
  oauthToken: () => `/oauth/${OAUTH_API_VERSION}/token`,
  /** The local journal: events of the one account Heed serves (`installPortalId`). */
  journalEarliest: (count: number) => `/webhooks-journal/journal-local/${JOURNAL_API_VERSION}/batch/earliest/${count}`,
  journalLatest: (count: number) => `/webhooks-journal/journal-local/${JOURNAL_API_VERSION}/batch/latest/${count}`,
  journalNext: (offset: string, count: number) =>
    `/webhooks-journal/journal-local/${JOURNAL_API_VERSION}/batch/${enc(offset)}/next/${count}`,
  journalRead: () => `/webhooks-journal/journal-local/${JOURNAL_API_VERSION}/batch/read`,
  journalSubscriptions: () => `/webhooks-journal/subscriptions/${JOURNAL_API_VERSION}`,
} as const;

/**
 * Paths HubSpot no longer supports, or will not from 2027-03-30 (v4) / September 2027 (v1–v3): numbered versions
 * of the REST APIs. The simulator answers these as retired when asked to; Heed must never call one.
 */
export const LEGACY_PATH =
  /^\/(?:crm|account-info|webhooks|conversations|oauth|settings|automation)\/(?:.*\/)?v[1-4](?:\/|$)/;
