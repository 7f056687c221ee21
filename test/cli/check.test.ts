import Ajv from 'ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.ts';
import { parsePolicy, type TPolicy } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const policy: TPolicy = parsePolicy(
  {
    calendars: {
      default: {
        timezone: 'UTC',
        hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
      },
    },
    teams: [{ name: 'support', channel: 'C0SUPPORT' }],
    sla: [
      { name: 'urgent', when: { priority: ['URGENT'] }, firstResponse: '1h', nextResponse: '2h', resolution: '8h' },
      { name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' },
    ],
    feedback: { followUpWithin: '90m' },
  },
  'test policy',
);
const at = (time: string) => new Date(`2026-11-23T${time}:00Z`);

// The shape `heed check --json` promises.
const COMMON = {
  team: { type: 'string' },
  ownerEmail: { type: ['string', 'null'] },
  dueAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' },
  overdueMinutes: { type: 'integer', minimum: 0 },
};
const ENTRY_SCHEMA = {
  type: 'array',
  items: {
    oneOf: [
      {
        type: 'object',
        additionalProperties: false,
        required: ['ticketId', 'team', 'ownerEmail', 'clock', 'state', 'dueAt', 'overdueMinutes'],
        properties: {
          ...COMMON,
          ticketId: { type: 'string' },
          clock: { enum: ['firstResponse', 'nextResponse', 'resolution'] },
          state: { enum: ['running', 'at_risk', 'breached', 'met', 'missed', 'paused'] },
        },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['feedbackId', 'team', 'ownerEmail', 'clock', 'state', 'dueAt', 'overdueMinutes'],
        properties: {
          ...COMMON,
          feedbackId: { type: 'string' },
          ticketId: { type: ['string', 'null'] },
          clock: { const: 'feedback' },
          state: { enum: ['pending', 'overdue'] },
        },
      },
    ],
  },
};

describe.each(testProviders())('heed check on %s', (provider) => {
  let db: OpenTestDb;
  const output: string[] = [];
  const check = (json: boolean, now: Date) =>
    runCheck(
      {
        db,
        config: { policy },
        logger: silentLogger(),
        io: { out: (t) => output.push(t), err: (t) => output.push(t) },
        now,
      },
      { json },
    );

  beforeEach(async () => {
    output.length = 0;
    db = await openTestDb(provider);
    await db.prisma.owner.create({
      data: { id: 'o1', email: 'agent@example.com', type: 'PERSON', updatedAt: at('08:00') },
    });
    const ticket = (id: string, over: Record<string, unknown>) =>
      db.prisma.ticket.create({
        data: {
          id,
          pipelineId: '0',
          stageId: '1',
          ownerId: 'o1',
          createdAt: at('09:00'),
          modifiedAt: at('09:00'),
          syncedAt: at('09:00'),
          ...over,
        },
      });
    await ticket('late', { priority: 'URGENT', createdAt: at('09:00') });
    await ticket('risky', { priority: 'URGENT', createdAt: at('10:10') });
    await ticket('calm', { priority: 'LOW', createdAt: at('10:00') });
    await ticket('done', { priority: 'LOW', isClosed: true, closedAt: at('10:00') });
    await db.prisma.feedbackSubmission.create({
      data: {
        id: 'f1',
        surveyType: 'CSAT',
        value: 1,
        submittedAt: at('08:00'),
        modifiedAt: at('08:00'),
        syncedAt: at('08:00'),
      },
    });
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('prints flagged items as a table, most urgent first, and writes nothing', async () => {
    expect(await check(false, at('11:00'))).toBe(0);
    const lines = output.join('\n').split('\n');
    expect(lines[0]).toMatch(/^TICKET\s+TEAM\s+OWNER\s+CLOCK\s+STATE\s+DUE \/ OVERDUE BY$/);
    expect(lines.slice(1, 4)).toEqual([
      expect.stringMatching(/^ticket late\s+support\s+agent@example\.com\s+firstResponse\s+breached\s+overdue by 1h$/),
      expect.stringMatching(/^feedback f1\s+support\s+—\s+feedback \(CSAT 1\)\s+overdue\s+overdue by 30m$/),
      expect.stringMatching(
        /^ticket risky\s+support\s+agent@example\.com\s+firstResponse\s+at_risk\s+due 2026-11-23 11:10 UTC \(in 10m\)$/,
      ),
    ]);
    expect(output.join('\n')).not.toMatch(/calm|done/);
    expect(await db.prisma.flag.count()).toBe(0);
    expect(await db.prisma.clockState.count()).toBe(0);
  });

  it('prints every open ticket’s clocks and pending feedback as JSON', async () => {
    await check(true, at('11:00'));
    const entries = JSON.parse(output.join('\n'));
    const ajv = new Ajv.default({ allErrors: true });
    expect(ajv.validate(ENTRY_SCHEMA, entries), ajv.errorsText()).toBe(true);
    expect(
      entries.map((e: { ticketId: string; feedbackId?: string; clock: string; state: string }) => [
        e.feedbackId ?? e.ticketId,
        e.clock,
        e.state,
      ]),
    ).toEqual([
      ['late', 'firstResponse', 'breached'],
      ['f1', 'feedback', 'overdue'],
      ['risky', 'firstResponse', 'at_risk'],
      // Running clocks: the earliest due first.
      ['calm', 'firstResponse', 'running'],
      ['late', 'resolution', 'running'],
      ['risky', 'resolution', 'running'],
      ['calm', 'resolution', 'running'],
    ]);
    expect(entries[0]).toEqual({
      ticketId: 'late',
      team: 'support',
      ownerEmail: 'agent@example.com',
      clock: 'firstResponse',
      state: 'breached',
      dueAt: '2026-11-23T10:00:00.000Z',
      overdueMinutes: 60,
    });
  });

  it('says so when nothing is flagged', async () => {
    await db.prisma.feedbackSubmission.deleteMany();
    await check(false, at('09:05'));
    expect(output.join('\n')).toBe(
      'Nothing flagged: every clock of the 3 open ticket(s) is on track and no feedback awaits a follow-up.',
    );
  });
});
