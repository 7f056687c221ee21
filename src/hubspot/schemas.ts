// Zod schemas of every HubSpot payload Heed consumes, shaped as the 2026-09 specs in ../shared/specs/hubspot/2026-09/
// say (the webhooks journal: its 2026-03 spec). test/hubspot/spec-conformance.test.ts checks each schema's keys
// against the spec schema it stands for, and every request Heed sends against the spec's request schemas.
// Parsing happens at the edge (src/hubspot/); the rest of Heed sees mapped rows, never these shapes.
// Objects are left open (zod's default strips unknown keys) so HubSpot adding a field never breaks a sync.
import { z } from 'zod';

/** Every CRM property value is a string or null, numbers, booleans and epoch-ms dates included. */
export const ZProperties = z.record(z.string(), z.string().nullable());

export const ZNextPage = z.object({ after: z.string(), link: z.string().optional() });
export const ZPaging = z.object({ next: ZNextPage.optional() });

export const ZAssociatedId = z.object({ id: z.string(), type: z.string() });
export const ZAssociations = z.record(
  z.string(),
  z.object({ results: z.array(ZAssociatedId), paging: ZPaging.optional() }),
);

/** SimplePublicObject / SimplePublicObjectWithAssociations: a ticket, contact, company or feedback submission. */
export const ZCrmObject = z.object({
  id: z.string(),
  properties: ZProperties,
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean(),
  archivedAt: z.string().optional(),
  associations: ZAssociations.optional(),
});
export type TCrmObject = z.infer<typeof ZCrmObject>;

/**
 * A CRM object whose usual property names are known in advance. Same shape and the same strings-or-null rule
 * as ZCrmObject, but zod checks an object with declared keys about twice as fast as a record (it compiles
 * them), which matters at 100,000 tickets per backfill; undeclared properties still go through the catch-all.
 */
export function crmObjectWith(propertyNames: readonly string[]): z.ZodType<TCrmObject> {
  const known = Object.fromEntries(propertyNames.map((name) => [name, z.string().nullable().optional()]));
  return ZCrmObject.extend({
    properties: z.object(known).catchall(z.string().nullable()),
  }) as unknown as z.ZodType<TCrmObject>;
}

/**
 * A page whose records are checked one by one: the envelope must be right, but a malformed record is
 * reported and skipped rather than failing its 99 neighbours.
 */
export const ZListPage = z.object({
  results: z.array(z.unknown()),
  paging: ZPaging.optional(),
});
export type TListPage = z.infer<typeof ZListPage>;

/** CollectionResponseWithTotalSimplePublicObject (search). */
export const ZSearchPage = z.object({
  total: z.number().int(),
  results: z.array(z.unknown()),
  paging: ZPaging.optional(),
});
export type TSearchPage = z.infer<typeof ZSearchPage>;

export const ZStandardError = z.object({
  status: z.string(),
  category: z.string(),
  message: z.string(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});

/** BatchResponseSimplePublicObject (200) or …WithErrors (207). */
export const ZBatchReadResponse = z.object({
  status: z.enum(['CANCELED', 'COMPLETE', 'PENDING', 'PROCESSING']),
  results: z.array(z.unknown()),
  startedAt: z.string(),
  completedAt: z.string(),
  numErrors: z.number().int().optional(),
  errors: z.array(ZStandardError).optional(),
});
export type TBatchReadResponse = z.infer<typeof ZBatchReadResponse>;

export const ZTeam = z.object({ id: z.string(), name: z.string(), primary: z.boolean() });

export const ZOwner = z.object({
  id: z.string(),
  email: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  userId: z.number().int().optional(),
  type: z.enum(['PERSON', 'QUEUE']),
  teams: z.array(ZTeam).optional(),
  archived: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TOwner = z.infer<typeof ZOwner>;

export const ZPipelineStage = z.object({
  id: z.string(),
  label: z.string(),
  displayOrder: z.number().int(),
  archived: z.boolean(),
  // metadata.ticketState is optional in the spec: a stage without it is treated as open.
  metadata: z.record(z.string(), z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ZPipeline = z.object({
  id: z.string(),
  label: z.string(),
  displayOrder: z.number().int(),
  archived: z.boolean(),
  stages: z.array(ZPipelineStage),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TPipeline = z.infer<typeof ZPipeline>;

export const ZPipelinesResponse = z.object({ results: z.array(ZPipeline) });

/** GET /account-info/2026-09/details: PortalInformationResponse (only what Heed reads is required). */
export const ZAccountDetails = z.object({
  portalId: z.number().int(),
  uiDomain: z.string(),
  timeZone: z.string().optional(),
  accountType: z.string().optional(),
  dataHostingLocation: z.string().optional(),
  companyCurrency: z.string().optional(),
  utcOffset: z.string().optional(),
  utcOffsetMilliseconds: z.number().optional(),
});
export type TAccountDetails = z.infer<typeof ZAccountDetails>;

/** Associations (2026-09) batch read: BatchResponsePublicAssociationMultiWithLabel. */
export const ZAssociationBatchResponse = z.object({
  status: z.enum(['CANCELED', 'COMPLETE', 'PENDING', 'PROCESSING']),
  results: z.array(
    z.object({
      from: z.object({ id: z.string() }),
      to: z.array(
        z.object({
          toObjectId: z.union([z.string(), z.number()]).transform(String),
          associationTypes: z.array(
            z.object({
              category: z.string(),
              typeId: z.number().int(),
              label: z.string().nullable().optional(),
            }),
          ),
        }),
      ),
      paging: ZPaging.optional(),
    }),
  ),
  startedAt: z.string(),
  completedAt: z.string(),
  errors: z.array(ZStandardError).optional(),
});
export type TAssociationBatchResponse = z.infer<typeof ZAssociationBatchResponse>;

/** HubSpot's error body (the spec's `Error`): what a 4xx says, in HubSpot's words. */
export const ZErrorDetail = z.object({
  message: z.string(),
  code: z.string().optional(),
  in: z.string().optional(),
  subCategory: z.string().optional(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});
export const ZHubspotError = z.object({
  category: z.string(),
  message: z.string(),
  correlationId: z.string().optional(),
  subCategory: z.string().optional(),
  context: z.record(z.string(), z.array(z.string())).optional(),
  errors: z.array(ZErrorDetail).optional(),
  links: z.record(z.string(), z.string()).optional(),
});
export type THubspotError = z.infer<typeof ZHubspotError>;

export const RATE_LIMIT_POLICIES = ['TEN_SECONDLY_ROLLING', 'SECONDLY', 'DAILY'] as const;
export type TRateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[number];

/** 429 body. `policyName` names which limit was hit; the search limit uses SECONDLY. */
export const ZRateLimitError = z.object({
  status: z.literal('error'),
  message: z.string(),
  errorType: z.literal('RATE_LIMIT'),
  correlationId: z.string().optional(),
  policyName: z.enum(RATE_LIMIT_POLICIES).optional(),
  groupName: z.string().optional(),
});
export type TRateLimitError = z.infer<typeof ZRateLimitError>;

export const ZWebhookEvent = z.object({
  eventId: z.number().int(),
  subscriptionId: z.number().int(),
  portalId: z.number().int(),
  appId: z.number().int().optional(),
  occurredAt: z.number().int(),
  subscriptionType: z.string(),
  /** Developer-platform apps' `object.*` subscriptions name the object type ("0-5" for tickets). */
  objectTypeId: z.string().optional(),
  attemptNumber: z.number().int(),
  objectId: z.number().int(),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
  changeSource: z.string().optional(),
});
export type TWebhookEvent = z.infer<typeof ZWebhookEvent>;

// HubSpot batches up to 100 events per request; a little slack so a large retry burst is not refused.
export const ZWebhookBatch = z.array(z.unknown()).max(1000);

// ------------------------------------------------------------------ OAuth (client credentials, for the journal)

/** POST /oauth/2026-03/token with grant_type=client_credentials. */
export const ZTokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().int().positive(),
  scopes: z.array(z.string()).optional(),
});

// ------------------------------------------------------------------ webhooks journal (2026-03)

/** JournalFetchResponse: one journal entry's pre-signed file. */
export const ZJournalFetch = z.object({
  currentOffset: z.string().min(1),
  expiresAt: z.string(),
  url: z.string().min(1),
});
export type TJournalFetch = z.infer<typeof ZJournalFetch>;

/** BatchResponseJournalFetchResponse (200) or …WithErrors (207, from batch/read). */
export const ZJournalBatch = z.object({
  status: z.enum(['CANCELED', 'COMPLETE', 'PENDING', 'PROCESSING']),
  results: z.array(ZJournalFetch),
  startedAt: z.string(),
  completedAt: z.string(),
  numErrors: z.number().int().optional(),
  errors: z.array(ZStandardError).optional(),
});

export const JOURNAL_ACTIONS = [
  'CREATE',
  'UPDATE',
  'DELETE',
  'MERGE',
  'RESTORE',
  'ASSOCIATION_ADDED',
  'ASSOCIATION_REMOVED',
  'SNAPSHOT',
  'APP_INSTALL',
  'APP_UNINSTALL',
  'ADDED_TO_LIST',
  'REMOVED_FROM_LIST',
  'GDPR_DELETE',
] as const;

/** SubscriptionResponse (the fields Heed reads). */
export const ZJournalSubscription = z.object({
  id: z.number().int(),
  appId: z.number().int(),
  subscriptionType: z.string(),
  objectTypeId: z.string(),
  actions: z.array(z.string()),
  properties: z.array(z.string()).optional(),
  portalId: z.number().int().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().optional(),
});
export const ZJournalSubscriptions = z.object({ results: z.array(ZJournalSubscription) });

/**
 * One event inside a journal entry's file. The 2026-03 spec describes the endpoints, not the file; this follows
 * HubSpot's journal guide (an object with the entry's offset and its `journalEvents`). Only what Heed needs is
 * required; other event kinds (associations, lists) pass through and are ignored.
 */
export const ZJournalEvent = z.object({
  objectTypeId: z.string(),
  objectId: z.union([z.number(), z.string()]).transform(String),
  action: z.string(),
  occurredAt: z.number().optional(),
  portalId: z.number().optional(),
  propertyChanges: z
    .array(z.object({ propertyName: z.string(), newValue: z.string().nullable().optional() }))
    .optional(),
});
export type TJournalEvent = z.infer<typeof ZJournalEvent>;

export const ZJournalFile = z.object({
  offset: z.string().optional(),
  publishedAt: z.string().optional(),
  journalEvents: z.array(z.unknown()),
});
