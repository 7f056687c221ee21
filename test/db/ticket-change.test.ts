// The stage-period rule both dialect writers apply (ticket-change.ts), as a table.
import { describe, expect, it } from 'vitest';
import { type TicketChange, ticketChange } from '../../src/db/ticket-change.ts';

const T = Date.parse('2026-11-02T09:00:00Z');

describe('ticketChange', () => {
  it.each<[string, Parameters<typeof ticketChange>[0], Parameters<typeof ticketChange>[1], TicketChange]>([
    [
      'a new ticket opens a period when HubSpot says it entered its stage',
      undefined,
      { stageId: '1', stageEnteredAt: T - 60_000, modifiedAt: T },
      { kind: 'insert', period: { stageId: '1', enteredAt: T - 60_000 } },
    ],
    [
      'a new ticket without the entry date: its modification time stands in',
      undefined,
      { stageId: '1', stageEnteredAt: null, modifiedAt: T },
      { kind: 'insert', period: { stageId: '1', enteredAt: T } },
    ],
    [
      'a new ticket without a stage opens nothing',
      undefined,
      { stageId: null, stageEnteredAt: null, modifiedAt: T },
      { kind: 'insert', period: undefined },
    ],
    [
      'an older copy is stale',
      { stageId: '1', modifiedAt: T },
      { stageId: '2', stageEnteredAt: T - 1, modifiedAt: T - 1 },
      { kind: 'stale' },
    ],
    [
      'the same instant is not stale (a re-read)',
      { stageId: '1', modifiedAt: T },
      { stageId: '1', stageEnteredAt: null, modifiedAt: T },
      { kind: 'update', period: undefined },
    ],
    [
      'a stage change closes the open period and opens the new one',
      { stageId: '1', modifiedAt: T },
      { stageId: '2', stageEnteredAt: T + 5_000, modifiedAt: T + 10_000 },
      { kind: 'update', period: { stageId: '2', enteredAt: T + 5_000 } },
    ],
    [
      'a copy that lost its stage keeps the stored one open',
      { stageId: '1', modifiedAt: T },
      { stageId: null, stageEnteredAt: null, modifiedAt: T + 10_000 },
      { kind: 'update', period: undefined },
    ],
  ])('%s', (_label, stored, row, expected) => {
    expect(ticketChange(stored, row)).toEqual(expected);
  });
});
