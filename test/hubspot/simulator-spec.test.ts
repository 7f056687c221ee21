// The simulator's answers must be shaped exactly as HubSpot's published OpenAPI specs say, or tests against it
// prove nothing. Each response is validated with ajv against the schema the spec names for that operation.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZAccountDetails } from '../../src/hubspot/schemas.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { sharedAvailable, sharedPath, skipWithoutShared } from '../support/shared.ts';
import { PORTAL_NOW, useLocalNetworkOnly } from './harness.ts';

const SPECS = sharedPath('specs', 'hubspot');

type Json = Record<string, unknown>;

/**
 * OpenAPI 3.0 → JSON Schema for ajv: `#/components/schemas/X` refs stay as they are (the spec is registered
 * under its file name, so they resolve inside it). One documented deviation: object property maps are declared
 * `additionalProperties: {type: string}`, but HubSpot sends `null` for a requested property that is empty
 * (see docs/hubspot-api.md); the maps named `properties` are therefore widened to string-or-null.
 */
function loadSpec(ajv: Ajv, file: string): void {
  const spec = JSON.parse(readFileSync(`${SPECS}/${file}`, 'utf8')) as Json;
  const widen = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const obj = node as Json;
    const props = obj['properties'] as Json | undefined;
    const map = props?.['properties'] as Json | undefined;
    const additional = map?.['additionalProperties'] as Json | undefined;
    if (additional && additional['type'] === 'string') additional['type'] = ['string', 'null'];
    for (const child of Object.values(obj)) widen(child);
  };
  widen(spec['components']);
  ajv.addSchema({ $id: file, components: spec['components'] });
}

function validator(ajv: Ajv, file: string, schema: string) {
  skipWithoutShared();
  const validate = ajv.getSchema(`${file}#/components/schemas/${schema}`);
  if (!validate) throw new Error(`no schema ${schema} in ${file}`);
  return (data: unknown) => {
    const ok = validate(data);
    return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

describe('simulator responses validate against the HubSpot OpenAPI specs', () => {
  useLocalNetworkOnly();
  let sim: Simulator;
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    formats: {
      'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
      int32: true,
      int64: true,
      uuid: true,
    },
  });
  for (const file of [
    'tickets.json',
    'crmOwners.json',
    'pipelines.json',
    'feedbackSubmissions.json',
    'associations.json',
    'objects.json',
  ]) {
    // Without ../shared the checks that need a spec skip (validator() says so); the rest still run.
    if (sharedAvailable) loadSpec(ajv, file);
  }

  beforeAll(async () => {
    sim = await startSimulator({ portal: new SimPortal({ now: PORTAL_NOW, tickets: 500, seed: 3 }) });
  });
  afterAll(() => sim.close());

  const get = async (path: string) => {
    const response = await fetch(`${sim.url}${path}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it.each([
    [
      'ticket list with properties and associations',
      () =>
        get(
          '/crm/v3/objects/tickets?limit=100&properties=subject,closed_date,hs_pipeline_stage,hubspot_owner_id&associations=contacts,companies',
        ),
      'tickets.json',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging',
    ],
    [
      'archived ticket list',
      () => get('/crm/v3/objects/tickets?limit=100&archived=true&properties=hs_object_id'),
      'tickets.json',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging',
    ],
    [
      'ticket search',
      () =>
        post('/crm/v3/objects/tickets/search', {
          filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
          sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
          properties: ['subject', 'hs_last_message_received_at'],
          limit: 200,
        }),
      'tickets.json',
      'CollectionResponseWithTotalSimplePublicObject',
    ],
    [
      'ticket batch read (all found)',
      () =>
        post('/crm/v3/objects/tickets/batch/read', {
          inputs: [{ id: '3000000001' }, { id: '3000000002' }],
          properties: ['subject'],
          propertiesWithHistory: [],
        }),
      'tickets.json',
      'BatchResponseSimplePublicObject',
    ],
    [
      'ticket batch read (207, some missing)',
      () =>
        post('/crm/v3/objects/tickets/batch/read', {
          inputs: [{ id: '3000000001' }, { id: '42' }],
          properties: ['subject'],
          propertiesWithHistory: [],
        }),
      'tickets.json',
      'BatchResponseSimplePublicObjectWithErrors',
    ],
    ['owners', () => get('/crm/v3/owners/?limit=5'), 'crmOwners.json', 'CollectionResponsePublicOwnerForwardPaging'],
    [
      'ticket pipelines',
      () => get('/crm/v3/pipelines/tickets'),
      'pipelines.json',
      'CollectionResponsePipelineNoPaging',
    ],
    [
      'feedback list',
      () =>
        get(
          '/crm/v3/objects/feedback_submissions?limit=50&properties=hs_survey_type,hs_value&associations=contacts,tickets',
        ),
      'feedbackSubmissions.json',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging',
    ],
    [
      'feedback search',
      () =>
        post('/crm/v3/objects/feedback_submissions/search', {
          filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
          sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
          properties: ['hs_survey_type', 'hs_content'],
          limit: 10,
        }),
      'feedbackSubmissions.json',
      'CollectionResponseWithTotalSimplePublicObject',
    ],
    [
      'contacts batch read',
      () =>
        post('/crm/v3/objects/contacts/batch/read', {
          inputs: [{ id: '500001' }],
          properties: ['firstname', 'lastname', 'email'],
          propertiesWithHistory: [],
        }),
      'objects.json',
      'BatchResponseSimplePublicObject',
    ],
    [
      'associations v4 batch read',
      () => post('/crm/v4/associations/tickets/companies/batch/read', { inputs: [{ id: '3000000003' }] }),
      'associations.json',
      'BatchResponsePublicAssociationMultiWithLabel',
    ],
  ])('%s', async (_name, call, file, schema) => {
    const { status, body } = await call();
    expect([200, 207]).toContain(status);
    expect(validator(ajv, file, schema)(body)).toEqual([]);
  });

  it('detects a response that breaks the spec (the check can fail)', () => {
    const check = validator(ajv, 'tickets.json', 'CollectionResponseWithTotalSimplePublicObject');
    expect(
      check({ results: [{ id: 1, properties: {}, createdAt: 'x', updatedAt: 'x', archived: false }] }),
    ).not.toEqual([]);
  });

  it('answers errors in HubSpot’s error shape', async () => {
    const { status, body } = await get('/crm/v3/objects/tickets?limit=500');
    expect(status).toBe(400);
    expect(validator(ajv, 'tickets.json', 'Error')({ ...(body as Json) })).toEqual([]);
  });

  it('serves account details HubSpot’s docs describe (not in the spec collection)', async () => {
    const { body } = await get('/account-info/v3/details');
    expect(ZAccountDetails.parse(body)).toMatchObject({ uiDomain: 'app.hubspot.com', portalId: sim.portal.portalId });
  });
});
