// HubSpot's 2026-09 specs (the journal's 2026-03) against three things, or tests against the simulator prove nothing:
//   1. the simulator's answers, validated with ajv against the schema the spec names for each operation;
//   2. every request Heed sends in a full sync, a journal read and an owner change: its method and path must be an
//      operation of the specs, its query parameters the operation's, its body valid against the request schema,
//      and the answer Heed parsed valid against the response schema;
//   3. the zod schemas in src/hubspot/schemas.ts: every key they read exists in the spec schema they stand for, and
//      every key they require, the spec requires too.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { API_VERSION, JOURNAL_API_VERSION, paths } from '../../src/hubspot/api-version.ts';
import {
  ZComment,
  ZConversationMessage,
  ZSender,
  ZThread,
  ZThreadAssociations,
  ZThreadsPage,
  ZWelcomeMessage,
} from '../../src/hubspot/conversation-schemas.ts';
import { setTicketOwner } from '../../src/hubspot/crm.ts';
import {
  ZAccountDetails,
  ZAssociationBatchResponse,
  ZBatchReadResponse,
  ZCrmObject,
  ZHubspotError,
  ZJournalBatch,
  ZJournalFetch,
  ZJournalSubscription,
  ZOwner,
  ZPipeline,
  ZPipelineStage,
  ZSearchPage,
  ZTeam,
} from '../../src/hubspot/schemas.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { sharedAvailable, sharedPath, skipWithoutShared } from '../support/shared.ts';
import { APP, PORTAL_NOW, startHarness } from './harness.ts';

const SPECS = sharedPath('specs', 'hubspot', '2026-09');
const FILES = [
  'tickets.json',
  'objects.json',
  'crmOwners.json',
  'pipelines.json',
  'feedbackSubmissions.json',
  'associations.json',
  'accountInfo.json',
  'users.json',
  'conversations.json',
  'webhooksJournal-2026-03.json',
] as const;

type Json = Record<string, unknown>;
type Operation = { file: string; method: string; template: string; pattern: RegExp; op: Json };

const specs = new Map<string, Json>(
  sharedAvailable ? FILES.map((f) => [f, JSON.parse(readFileSync(`${SPECS}/${f}`, 'utf8')) as Json]) : [],
);

// Every test here reads the shared specs: each skips, naming the folder, where it is missing.
beforeEach(() => skipWithoutShared());

/**
 * OpenAPI 3.0 → JSON Schema for ajv: `#/components/schemas/X` refs stay as they are (the spec is registered
 * under its file name, so they resolve inside it). One documented deviation: object property maps are declared
 * `additionalProperties: {type: string}`, but HubSpot sends `null` for a requested property that is empty
 * (see docs/hubspot-api.md); the maps named `properties` are therefore widened to string-or-null.
 */
function newAjv(): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    formats: {
      'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
      int32: true,
      int64: true,
      uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    },
  });
  for (const [file, spec] of specs) {
    const components = structuredClone(spec['components']) as Json;
    const widen = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const obj = node as Json;
      const props = obj['properties'] as Json | undefined;
      const map = props?.['properties'] as Json | undefined;
      const additional = map?.['additionalProperties'] as Json | undefined;
      if (additional && additional['type'] === 'string') additional['type'] = ['string', 'null'];
      for (const child of Object.values(obj)) widen(child);
    };
    widen(components);
    // The conversations spec declares its subtypes as allOf [the parent, own fields], and the parent as oneOf
    // [the subtypes]: read literally, validating a message recurses without end. The parent adds nothing to a
    // subtype (its own properties are empty), so the subtypes drop that reference.
    const schemas = (components['schemas'] ?? {}) as Record<string, Json>;
    for (const schema of Object.values(schemas)) {
      const allOf = schema['allOf'] as Json[] | undefined;
      if (!allOf) continue;
      schema['allOf'] = allOf.filter((part) => {
        const ref = typeof part['$ref'] === 'string' ? part['$ref'].split('/').pop() : undefined;
        return !(ref && schemas[ref]?.['oneOf']);
      });
    }
    ajv.addSchema({ $id: file, components });
  }
  return ajv;
}

const ajv = newAjv();

function validator(file: string, schema: string) {
  const validate = ajv.getSchema(`${file}#/components/schemas/${schema}`);
  if (!validate) throw new Error(`no schema ${schema} in ${file}`);
  return (data: unknown) => {
    const ok = validate(data);
    return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

/** Every operation of the spec files, with a regex for its path template. */
const OPERATIONS: Operation[] = [...specs].flatMap(([file, spec]) =>
  Object.entries(spec['paths'] as Record<string, Json>).flatMap(([template, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => op && typeof op === 'object' && 'responses' in (op as Json))
      .map(([method, op]) => ({
        file,
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        op: op as Json,
      })),
  ),
);

/** The spec file that describes an object type's CRM endpoints (their security and schemas are per type). */
function fileForPath(path: string): string | undefined {
  const type = /^\/crm\/objects\/[^/]+\/([a-z_]+)/.exec(path)?.[1];
  if (type === 'tickets') return 'tickets.json';
  if (type === 'feedback_submissions') return 'feedbackSubmissions.json';
  if (type === 'users') return 'users.json';
  if (type) return 'objects.json';
  return undefined;
}

function operationFor(method: string, path: string): Operation | undefined {
  const preferred = fileForPath(path);
  const candidates = OPERATIONS.filter((o) => o.method === method && o.pattern.test(path));
  return candidates.find((o) => o.file === preferred) ?? candidates[0];
}

const schemaRef = (content: unknown): string | undefined => {
  const first = Object.values((content ?? {}) as Record<string, { schema?: { $ref?: string } }>)[0];
  return first?.schema?.$ref?.split('/').pop();
};

describe('simulator answers validate against HubSpot’s 2026-09 specs', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ portal: new SimPortal({ now: PORTAL_NOW, tickets: 500, seed: 3 }), app: APP });
  });
  afterAll(() => sim.close());

  /** A chat ticket's thread (it has a welcome message). */
  const chatThread = () => {
    const portal = sim.portal;
    for (let i = 0; i < portal.ticketCount; i++) {
      if (portal.t.source[i] === 1 && portal.t.owner[i]! >= 0 && i % 4 === 0)
        return portal.threadOf(portal.ticketId(i))!;
    }
    throw new Error('no chat ticket');
  };
  /** An email ticket's thread given a comment, the AI agent's answer, a bot's and HubSpot's own. */
  const variedThread = () => {
    const portal = sim.portal;
    let i = 0;
    while (portal.t.source[i] !== 0) i++;
    const id = portal.ticketId(i);
    const at = PORTAL_NOW - 60_000;
    portal.addMessage(id, 'comment', at, 'Internal: asked billing');
    portal.addMessage(id, 'ai', at + 1, 'The AI agent: try clearing the cache.');
    portal.addMessage(id, 'bot', at + 2, 'A bot: we got your message.');
    portal.addMessage(id, 'system', at + 3, 'Your ticket was received.');
    return portal.threadOf(id)!;
  };

  const get = async (path: string) => {
    const response = await fetch(`${sim.url}${path}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const send = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const post = (path: string, body: unknown) => send('POST', path, body);

  it.each([
    [
      'ticket list with properties and associations',
      () =>
        get(
          `${paths.objects('tickets')}?limit=100&properties=subject,closed_date,hs_pipeline_stage,hubspot_owner_id&associations=contacts,companies`,
        ),
      'tickets.json',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging',
    ],
    [
      'archived ticket list',
      () => get(`${paths.objects('tickets')}?limit=100&archived=true&properties=hs_object_id`),
      'tickets.json',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging',
    ],
    [
      'ticket search',
      () =>
        post(paths.search('tickets'), {
          filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
          sorts: ['hs_lastmodifieddate'],
          properties: ['subject', 'hs_last_message_received_at'],
          limit: 200,
          after: '0',
        }),
      'tickets.json',
      'CollectionResponseWithTotalSimplePublicObject',
    ],
    [
      'ticket batch read (all found)',
      () =>
        post(paths.batchRead('tickets'), {
          inputs: [{ id: '3000000001' }, { id: '3000000002' }],
          properties: ['subject'],
          propertiesWithHistory: [],
        }),
      'tickets.json',
      'BatchResponseSimplePublicObject',
    ],
    [
      'ticket batch read (some missing: 200 with errors, as the 2026-09 spec declares)',
      () =>
        post(paths.batchRead('tickets'), {
          inputs: [{ id: '3000000001' }, { id: '42' }],
          properties: ['subject'],
          propertiesWithHistory: [],
        }),
      'tickets.json',
      'BatchResponseSimplePublicObject',
    ],
    [
      'ticket owner change (PATCH)',
      () => send('PATCH', paths.object('tickets', '3000000004'), { properties: { hubspot_owner_id: '71000001' } }),
      'tickets.json',
      'SimplePublicObject',
    ],
    ['owners', () => get(`${paths.owners()}?limit=5`), 'crmOwners.json', 'CollectionResponsePublicOwnerForwardPaging'],
    ['ticket pipelines', () => get(paths.pipelines('tickets')), 'pipelines.json', 'CollectionResponsePipelineNoPaging'],
    ['account details', () => get(paths.accountDetails()), 'accountInfo.json', 'PortalInformationResponse'],
    [
      'feedback list',
      () =>
        get(
          `${paths.objects('feedback_submissions')}?limit=50&properties=hs_survey_type,hs_value&associations=contacts,tickets`,
        ),
      'feedbackSubmissions.json',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging',
    ],
    [
      'feedback search',
      () =>
        post(paths.search('feedback_submissions'), {
          filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
          sorts: ['hs_lastmodifieddate'],
          properties: ['hs_survey_type', 'hs_content'],
          limit: 10,
          after: '0',
        }),
      'feedbackSubmissions.json',
      'CollectionResponseWithTotalSimplePublicObject',
    ],
    [
      'users with availability',
      () =>
        get(
          `${paths.objects('users')}?limit=100&properties=hs_availability_status,hs_working_hours,hs_out_of_office_hours,hs_standard_time_zone`,
        ),
      'users.json',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging',
    ],
    [
      'contacts batch read',
      () =>
        post(paths.batchRead('contacts'), {
          inputs: [{ id: '500001' }],
          properties: ['firstname', 'lastname', 'email'],
          propertiesWithHistory: [],
        }),
      'objects.json',
      'BatchResponseSimplePublicObject',
    ],
    [
      'conversation threads by latest message, with their tickets',
      () =>
        get(
          `${paths.threads()}?sort=latestMessageTimestamp&latestMessageTimestampAfter=2026-01-01T00:00:00.000Z&association=TICKET&limit=100`,
        ),
      'conversations.json',
      'CollectionResponsePublicThreadForwardPaging',
    ],
    ['a thread', () => get(`${paths.threads()}/8100000003?association=TICKET`), 'conversations.json', 'PublicThread'],
    [
      'a chat thread’s entries, newest first (welcome message, messages, assignment)',
      () => get(`${paths.threadMessages(chatThread())}?sort=-createdAt&limit=100`),
      'conversations.json',
      'CollectionResponsePublicMessageForwardPaging',
    ],
    [
      'a thread with an internal comment, the AI agent, a bot and HubSpot itself',
      () => get(`${paths.threadMessages(variedThread())}?sort=createdAt&limit=100`),
      'conversations.json',
      'CollectionResponsePublicMessageForwardPaging',
    ],
    [
      'associations batch read',
      () => post(paths.associationsBatchRead('tickets', 'companies'), { inputs: [{ id: '3000000003' }] }),
      'associations.json',
      'BatchResponsePublicAssociationMultiWithLabel',
    ],
  ])('%s', async (_name, call, file, schema) => {
    const { status, body } = await call();
    expect([200, 207]).toContain(status);
    expect(validator(file, schema)(body)).toEqual([]);
  });

  it('detects a response that breaks the spec (the check can fail)', () => {
    const check = validator('tickets.json', 'CollectionResponseWithTotalSimplePublicObject');
    expect(
      check({ results: [{ id: 1, properties: {}, createdAt: 'x', updatedAt: 'x', archived: false }] }),
    ).not.toEqual([]);
  });

  it('answers errors in HubSpot’s error shape', async () => {
    const { status, body } = await get(`${paths.objects('tickets')}?limit=500`);
    expect(status).toBe(400);
    expect(validator('tickets.json', 'Error')({ ...(body as Json) })).toEqual([]);
  });
});

describe('every request Heed sends is an operation of the specs, with a valid body; every answer it parsed is too', () => {
  it('in a backfill, an incremental pass, a journal read and an owner change', { timeout: 60_000 }, async () => {
    const h = await startHarness('sqlite', { sim: { recordRequests: true } });
    try {
      await h.service.run();
      const reader = h.journal();
      await reader.readOnce();
      const now = h.clock.now().getTime();
      h.sim.portal.touchTickets(30, now - 1000);
      h.sim.portal.createTickets(3, now - 500);
      h.sim.portal.addFeedback({ ticketId: h.sim.portal.ticketId(4), type: 'NPS', value: 3 }, now - 400);
      await reader.readOnce();
      // The journal was empty when Heed started, so that read began at the earliest entry; this one goes on after
      // the stored offset.
      h.sim.portal.moveTicket(h.sim.portal.ticketId(6), 1, now - 300);
      await reader.readOnce();
      await h.service.run();
      await setTicketOwner(h.api, h.sim.portal.ticketId(5), h.sim.portal.owners[2]!.id);

      const problems: string[] = [];
      const seen = new Set<string>();
      for (const request of h.sim.requests) {
        if (request.path.startsWith('/journal-files/')) continue; // a pre-signed file URL, not an API operation
        if (request.path === paths.oauthToken()) {
          // OAuth is not in the spec collection; the form is the one HubSpot's guide documents.
          const form = new URLSearchParams(String(request.body));
          if (form.get('grant_type') !== 'client_credentials')
            problems.push('token request without client_credentials');
          continue;
        }
        const operation = operationFor(request.method, request.path);
        const label = `${request.method} ${request.path}`;
        if (!operation) {
          problems.push(`${label}: no such operation in the ${API_VERSION}/${JOURNAL_API_VERSION} specs`);
          continue;
        }
        seen.add(`${operation.method} ${operation.template}`);
        const allowed = new Set(
          ((operation.op['parameters'] ?? []) as { name: string; in: string }[])
            .filter((p) => p.in === 'query')
            .map((p) => p.name),
        );
        for (const name of new Set(request.query.keys())) {
          if (!allowed.has(name)) problems.push(`${label}: query parameter ${name} is not in the spec`);
        }
        const requestSchema = schemaRef((operation.op['requestBody'] as Json | undefined)?.['content']);
        if (requestSchema) {
          for (const e of validator(operation.file, requestSchema)(request.body)) problems.push(`${label} body: ${e}`);
        } else if (request.body !== undefined) {
          problems.push(`${label}: sends a body the spec does not take`);
        }
        const answer = (operation.op['responses'] as Record<string, Json>)[String(request.status)];
        const responseSchema = schemaRef(answer?.['content']);
        if (responseSchema) {
          for (const e of validator(operation.file, responseSchema)(request.response)) {
            problems.push(`${label} answer ${request.status}: ${e}`);
          }
        } else if (request.status < 300) {
          problems.push(`${label}: answered ${request.status}, which the spec does not describe`);
        }
      }
      expect(problems).toEqual([]);
      // The run covered every family: objects, search, batch read, associations, owners, pipelines, account,
      // users, PATCH, and the journal (latest, next, subscriptions).
      expect([...seen].sort()).toEqual(
        expect.arrayContaining([
          'GET /account-info/2026-09/details',
          'GET /crm/owners/2026-09',
          'GET /crm/pipelines/2026-09/{objectType}',
          'GET /crm/objects/2026-09/{objectType}',
          'POST /crm/objects/2026-09/{objectType}/search',
          'POST /crm/objects/2026-09/{objectType}/batch/read',
          'POST /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/read',
          'PATCH /crm/objects/2026-09/{objectType}/{objectId}',
          'GET /webhooks-journal/journal-local/2026-03/batch/latest/{count}',
          'GET /webhooks-journal/journal-local/2026-03/batch/{offset}/next/{count}',
          'GET /webhooks-journal/subscriptions/2026-03',
          'POST /webhooks-journal/subscriptions/2026-03',
          'GET /conversations/conversations/2026-09/threads',
          'GET /conversations/conversations/2026-09/threads/{threadId}/messages',
        ]),
      );
    } finally {
      await h.close();
    }
  });
});

describe('the zod schemas read only what the spec schemas declare, and require no more than they require', () => {
  const shapes: [string, string, string, z.ZodObject][] = [
    ['ZAccountDetails', 'accountInfo.json', 'PortalInformationResponse', ZAccountDetails],
    ['ZOwner', 'crmOwners.json', 'PublicOwner', ZOwner],
    ['ZTeam', 'crmOwners.json', 'PublicTeam', ZTeam],
    ['ZPipeline', 'pipelines.json', 'Pipeline', ZPipeline],
    ['ZPipelineStage', 'pipelines.json', 'PipelineStage', ZPipelineStage],
    ['ZCrmObject', 'tickets.json', 'SimplePublicObjectWithAssociations', ZCrmObject],
    ['ZSearchPage', 'tickets.json', 'CollectionResponseWithTotalSimplePublicObject', ZSearchPage],
    ['ZBatchReadResponse', 'tickets.json', 'BatchResponseSimplePublicObject', ZBatchReadResponse],
    [
      'ZAssociationBatchResponse',
      'associations.json',
      'BatchResponsePublicAssociationMultiWithLabel',
      ZAssociationBatchResponse,
    ],
    ['ZHubspotError', 'tickets.json', 'Error', ZHubspotError],
    ['ZJournalBatch', 'webhooksJournal-2026-03.json', 'BatchResponseJournalFetchResponseWithErrors', ZJournalBatch],
    ['ZJournalFetch', 'webhooksJournal-2026-03.json', 'JournalFetchResponse', ZJournalFetch],
    ['ZJournalSubscription', 'webhooksJournal-2026-03.json', 'SubscriptionResponse', ZJournalSubscription],
    ['ZThread', 'conversations.json', 'PublicThread', ZThread],
    ['ZThreadAssociations', 'conversations.json', 'PublicThreadAssociations', ZThreadAssociations],
    ['ZThreadsPage', 'conversations.json', 'CollectionResponsePublicThreadForwardPaging', ZThreadsPage],
    ['ZConversationMessage', 'conversations.json', 'PublicConversationsMessage', ZConversationMessage],
    ['ZComment', 'conversations.json', 'PublicComment', ZComment],
    ['ZWelcomeMessage', 'conversations.json', 'PublicWelcomeMessage', ZWelcomeMessage],
    ['ZSender', 'conversations.json', 'PublicSender', ZSender],
  ];

  it.each(shapes)('%s against %s#%s', (_name, file, specName, schema) => {
    const spec = ((specs.get(file)!['components'] as Json)['schemas'] as Record<string, Json>)[specName]!;
    // A subtype (conversations' messages) declares its fields in the second part of an allOf.
    const parts = [spec, ...((spec['allOf'] ?? []) as Json[])];
    const declared = new Set(parts.flatMap((p) => Object.keys((p['properties'] ?? {}) as Json)));
    const required = new Set(parts.flatMap((p) => (p['required'] ?? []) as string[]));
    const problems: string[] = [];
    for (const [key, field] of Object.entries(schema.shape)) {
      if (!declared.has(key)) problems.push(`${key} is not in the spec`);
      else if (!(field as z.ZodType).safeParse(undefined).success && !required.has(key)) {
        problems.push(`${key} is required by zod but optional in the spec`);
      }
    }
    expect(problems).toEqual([]);
  });
});
