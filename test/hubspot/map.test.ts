import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  feedbackRow,
  mapRecords,
  parseHubspotTime,
  pipelineRows,
  ticketRow,
  ticketUrl,
  ZTicketObject,
} from '../../src/hubspot/map.ts';
import {
  RATE_LIMIT_POLICIES,
  ZListPage,
  ZPipelinesResponse,
  ZRateLimitError,
  ZWebhookEvent,
} from '../../src/hubspot/schemas.ts';

const fixture = (name: string) => JSON.parse(readFileSync(`test/fixtures/hubspot/${name}`, 'utf8')) as unknown;
const closedStages = new Map([
  ['0/1', false],
  ['0/2', false],
  ['0/4', true],
]);
const lookup = (p: string | null, s: string | null) => closedStages.get(`${p}/${s}`);

describe('parseHubspotTime', () => {
  it.each([
    ['2026-11-02T09:15:30.123Z', Date.parse('2026-11-02T09:15:30.123Z')],
    ['1762160280000', 1762160280000],
    ['', null],
    [null, null],
    [undefined, null],
    ['last tuesday', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseHubspotTime(value)).toBe(expected);
  });
});

describe('mapping a ticket page', () => {
  const page = ZListPage.parse(fixture('tickets-page.json'));
  const parsed = mapRecords(page.results, (o) => ticketRow(o, lookup), ZTicketObject);

  it('rejects a property that is neither a string nor null, declared or not', () => {
    const base = { createdAt: 'x', updatedAt: 'x', archived: false };
    const bad = mapRecords(
      [
        { id: '1', properties: { createdate: 1762160280000 }, ...base },
        {
          id: '2',
          properties: {
            custom_field: true,
            createdate: '2026-11-01T00:00:00Z',
            hs_lastmodifieddate: '2026-11-01T00:00:00Z',
          },
          ...base,
        },
      ],
      (o) => ticketRow(o, lookup),
      ZTicketObject,
    );
    expect(bad.rejected.map((r) => [r.id, r.reason])).toEqual([
      ['1', 'properties.createdate: Invalid input: expected string, received number'],
      ['2', 'properties.custom_field: Invalid input: expected string, received boolean'],
    ]);
  });

  it('keeps the good records and rejects the malformed ones with their id and reason', () => {
    expect(parsed.rows.map((r) => r.id)).toEqual(['3000000101', '3000000104']);
    expect(parsed.rejected).toEqual([
      { id: '3000000102', reason: 'createdate is not a date: "last tuesday"' },
      { id: '3000000103', reason: 'properties: Invalid input: expected object, received undefined' },
    ]);
  });

  it('falls back to the email-only properties when the any-channel ones are empty', () => {
    const t = parsed.rows[0]!;
    expect(t.firstAgentReplyAt).toBe(Date.parse('2026-11-02T11:00:00.000Z'));
    expect(t.lastCustomerMessageAt).toBe(Date.parse('2026-11-03T09:58:00.000Z'));
    expect(t.lastMessageFromVisitor).toBe(true);
    expect(t.stageEnteredAt).toBe(1762160280000);
    expect(t.hsFirstResponseDueAt).toBe(Date.parse('2026-11-02T13:15:30.123Z'));
    expect(t.hsFirstResponseStatus).toBe('3');
    expect(t.isClosed).toBe(false);
  });

  it('prefers the any-channel first reply when both are set, and the primary company', () => {
    const closed = parsed.rows[1]!;
    expect(closed.firstAgentReplyAt).toBe(Date.parse('2026-11-01T09:00:00.000Z'));
    expect(closed.priority).toBeNull();
    expect(closed.lastMessageFromVisitor).toBe(false);
    expect(closed.isClosed).toBe(true);
    expect(parsed.rows[0]!.contactId).toBe('500123');
    expect(parsed.rows[0]!.companyId).toBe('9000001');
  });

  it.each([
    ['a known open stage, even with a closed date', '2', '2026-11-01T00:00:00Z', false],
    ['a known closed stage', '4', null, true],
    ['an unknown stage with a closed date', '99', '2026-11-01T00:00:00Z', true],
    ['an unknown stage without one', '99', null, false],
  ])('isClosed from %s', (_name, stage, closedDate, expected) => {
    const raw = {
      id: '1',
      properties: {
        createdate: '2026-11-01T00:00:00Z',
        hs_lastmodifieddate: '2026-11-01T00:00:00Z',
        hs_pipeline: '0',
        hs_pipeline_stage: stage,
        closed_date: closedDate,
      },
      createdAt: '2026-11-01T00:00:00Z',
      updatedAt: '2026-11-01T00:00:00Z',
      archived: false,
    };
    expect(mapRecords([raw], (o) => ticketRow(o, lookup)).rows[0]!.isClosed).toBe(expected);
  });
});

describe('other payloads', () => {
  it('derives open/closed stages from metadata.ticketState (absent: open)', () => {
    const pipelines = ZPipelinesResponse.parse({
      results: [
        {
          id: '0',
          label: 'Support',
          displayOrder: 0,
          archived: false,
          createdAt: '2023-01-01T00:00:00Z',
          updatedAt: '2023-01-01T00:00:00Z',
          stages: [
            {
              id: '1',
              label: 'New',
              displayOrder: 0,
              archived: false,
              metadata: { ticketState: 'OPEN' },
              createdAt: 'x',
              updatedAt: 'x',
            },
            {
              id: '4',
              label: 'Closed',
              displayOrder: 1,
              archived: false,
              metadata: { ticketState: 'CLOSED' },
              createdAt: 'x',
              updatedAt: 'x',
            },
            { id: '5', label: 'Odd', displayOrder: 2, archived: true, metadata: {}, createdAt: 'x', updatedAt: 'x' },
          ],
        },
      ],
    });
    expect(pipelineRows(pipelines.results).stages.map((s) => [s.id, s.isClosed, s.archived])).toEqual([
      ['1', false, false],
      ['4', true, false],
      ['5', false, true],
    ]);
  });

  it('maps feedback and rejects an answer without a survey type', () => {
    const base = { createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z', archived: false };
    const parsed = mapRecords(
      [
        {
          id: '70000001',
          properties: {
            hs_survey_type: 'NPS',
            hs_value: '3',
            hs_response_group: 'DETRACTOR',
            hs_content: 'Slow answers',
            hs_submission_timestamp: '2026-11-01T10:00:00Z',
            hs_lastmodifieddate: '2026-11-01T10:00:00Z',
          },
          associations: { tickets: { results: [{ id: '3000000101', type: 'feedback_submission_to_ticket' }] } },
          ...base,
        },
        { id: '70000002', properties: { hs_value: '9' }, ...base },
      ],
      feedbackRow,
    );
    expect(parsed.rows).toMatchObject([{ id: '70000001', surveyType: 'NPS', value: 3, ticketId: '3000000101' }]);
    expect(parsed.rejected).toEqual([{ id: '70000002', reason: 'hs_survey_type is missing' }]);
  });

  it.each(RATE_LIMIT_POLICIES)('parses the %s 429 body', (policy) => {
    const bodies = fixture('rate-limit-429.json') as Record<string, unknown>;
    expect(ZRateLimitError.parse(bodies[policy]).policyName).toBe(policy);
  });

  it('parses webhook events', () => {
    const events = (fixture('webhook-events.json') as unknown[]).map((e) => ZWebhookEvent.parse(e));
    expect(events.map((e) => e.subscriptionType)).toEqual(['ticket.propertyChange', 'ticket.deletion']);
  });

  it('builds the deep link to a ticket', () => {
    expect(ticketUrl({ uiDomain: 'app-eu1.hubspot.com', id: '2841337' }, '3000000101')).toBe(
      'https://app-eu1.hubspot.com/contacts/2841337/record/0-5/3000000101',
    );
  });
});
