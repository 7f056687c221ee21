import { describe, expect, it } from 'vitest';
import {
  parseDigestArgs,
  parseHeed,
  parseScope,
  parseTeamOnly,
  parseTicketRef,
  parseWaitDuration,
} from '../../src/slack/command-args.ts';

const TEAMS = ['support', 'billing'];

describe('slash command arguments', () => {
  it.each([
    ['', { kind: 'default' }],
    ['me', { kind: 'me' }],
    [' ALL ', { kind: 'all' }],
    ['<@U123ABC|carol>', { kind: 'user', userId: 'U123ABC' }],
    ['<@W99>', { kind: 'user', userId: 'W99' }],
    ['Billing', { kind: 'team', team: 'billing' }],
    ['#support', { kind: 'team', team: 'support' }],
    ['team', { kind: 'channelTeam' }],
  ])('scope %j → %j', (text, value) => {
    expect(parseScope(text, TEAMS)).toEqual({ ok: true, value });
  });

  it('a team named "team" is found by its name before the word means "this channel\'s team"', () => {
    expect(parseScope('team', ['team', 'support'])).toEqual({ ok: true, value: { kind: 'team', team: 'team' } });
  });

  it.each([['@carol'], ['nobody'], ['me me'], ['<@lower>']])('scope %j is refused with a reason', (text) => {
    const r = parseScope(text, TEAMS);
    expect(r.ok).toBe(false);
  });

  it.each([
    ['30m', 30 * 60_000],
    ['2h', 2 * 3_600_000],
    ['1h30m', 90 * 60_000],
    ['1d', 86_400_000],
    ['7d', 7 * 86_400_000],
  ])('duration %s = %d ms', (text, ms) => {
    expect(parseWaitDuration(text)).toEqual({ ok: true, value: ms });
  });

  it.each([
    ['0m', 'more than zero'],
    ['8d', 'longest duration is 7d'],
    ['soon', 'not a duration'],
    ['', 'not a duration'],
    ['-1h', 'not a duration'],
  ])('duration %j is refused: %s', (text, reason) => {
    expect(parseWaitDuration(text)).toEqual({ ok: false, problem: expect.stringContaining(reason) });
  });

  it.each([
    ['1234', '1234'],
    ['#1234', '1234'],
    ['https://app.hubspot.com/contacts/4242/record/0-5/1234', '1234'],
    ['<https://app-eu1.hubspot.com/contacts/4242/record/0-5/987/?tab=x>', '987'],
    ['https://app.hubspot.com/contacts/4242/ticket/55', '55'],
  ])('ticket %j → %s', (text, id) => {
    expect(parseTicketRef(text)).toEqual({ ok: true, value: id });
  });

  it.each([['abc'], ['https://example.com/record/0-1/12'], ['12a']])('ticket %j is refused', (text) => {
    expect(parseTicketRef(text).ok).toBe(false);
  });

  it.each([
    ['', { name: 'help' }],
    ['help', { name: 'help' }],
    ['STATUS', { name: 'status' }],
    ['unmute', { name: 'unmute' }],
    ['mute 2h', { name: 'mute', durationMs: 7_200_000 }],
    ['whois #42', { name: 'whois', ticketId: '42' }],
    ['snooze 42 30m', { name: 'snooze', ticketId: '42', durationMs: 1_800_000 }],
  ])('/heed %j → %j', (text, value) => {
    expect(parseHeed(text)).toEqual({ ok: true, value });
  });

  it.each([['status now'], ['mute'], ['mute forever'], ['whois'], ['snooze 42'], ['snooze x 1h'], ['dance']])(
    '/heed %j is refused',
    (text) => {
      expect(parseHeed(text).ok).toBe(false);
    },
  );

  it.each([
    ['', { post: false }],
    ['post', { post: true }],
    ['billing', { team: 'billing', post: false }],
    ['billing post', { team: 'billing', post: true }],
  ])('/digest %j → %j', (text, value) => {
    expect(parseDigestArgs(text, TEAMS)).toEqual({ ok: true, value });
  });

  it('unknown teams are refused by /digest and /slow', () => {
    expect(parseDigestArgs('sales post', TEAMS).ok).toBe(false);
    expect(parseTeamOnly('sales', TEAMS).ok).toBe(false);
    expect(parseTeamOnly('', TEAMS)).toEqual({ ok: true, value: {} });
  });

  it.each([
    ['stats', { name: 'stats', target: '', days: 7 }],
    ['stats 30d', { name: 'stats', target: '', days: 30 }],
    ['stats Tier 2 7D', { name: 'stats', target: 'Tier 2', days: 7 }],
    // A team whose name ends in a number is a team, not a period.
    ['stats Tier 2', { name: 'stats', target: 'Tier 2', days: 7 }],
    ['stats <@U1|ada> 30d', { name: 'stats', target: '<@U1|ada>', days: 30 }],
  ])('/heed %s', (text, value) => {
    expect(parseHeed(text)).toEqual({ ok: true, value });
  });

  it.each(['stats 9y', 'stats 14d', 'stats support 0d', 'stats 7days'])('/heed %s: only 7d or 30d', (text) => {
    expect(parseHeed(text)).toEqual({ ok: false, problem: expect.stringContaining('use 7d or 30d') });
  });
});
