// What an away owner's ticket says (issue 15): who is away until when, in the team's zone, who covers — hostile
// names and statuses escaped, and every message valid Block Kit.
import { describe, expect, it } from 'vitest';
import {
  coverLine,
  formatUntil,
  NOBODY_COVERS,
  type NudgeView,
  renderEscalationPost,
  renderEscalationReply,
  renderNudge,
  renderOwnerDm,
} from '../../src/slack/render/nudge.ts';
import { blockKitProblems } from './support/block-kit.ts';

const AT = new Date('2026-03-06T16:00:00.000Z'); // a Friday
const base: NudgeView = {
  flagKey: 'ticket:101:firstResponse:0',
  kind: 'ticket',
  state: 'breached',
  clock: 'firstResponse',
  customer: 'Dana (Acme)',
  subject: 'Cannot log in',
  owner: { name: 'Anna Agent', slackUserId: 'UANNA' },
  waitedBusinessMinutes: 185,
  waitedWallMinutes: 200,
  asOf: AT,
  overdueBusinessMinutes: 65,
};
const covered: NudgeView = {
  ...base,
  cover: {
    ownerName: 'Anna Agent',
    reason: 'out-of-office',
    until: new Date('2026-03-09T08:00:00.000Z'),
    backup: 'UBOB',
    timeZone: 'Europe/Berlin',
  },
};
const text = (m: { text: string; blocks: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks)}`;

describe('the covering line', () => {
  it.each([
    ['Mon 09:00 CET', new Date('2026-03-09T08:00:00Z'), 'Europe/Berlin'],
    ['Mon 08:00 UTC', new Date('2026-03-09T08:00:00Z'), 'UTC'],
    ['Fri 20 Mar 09:00 CET', new Date('2026-03-20T08:00:00Z'), 'Europe/Berlin'],
  ])('%s', (expected, until, zone) => {
    expect(formatUntil(until, zone, AT)).toBe(expected);
  });

  it('says who is away until when and who covers; or that nobody can', () => {
    expect(coverLine(covered.cover!, AT)).toBe(
      'Anna Agent is away until Mon 09:00 CET (out of office); <@UBOB> is covering',
    );
    expect(coverLine({ ...covered.cover!, backup: undefined, until: undefined, reason: 'hubspot-away' }, AT)).toBe(
      'Anna Agent is away (away in HubSpot); no backup available',
    );
  });

  it('escapes the owner’s name and their Slack status', () => {
    const line = coverLine(
      { ...covered.cover!, ownerName: 'Eve <!channel>', reason: 'slack-status', status: ':palm_tree: <!here> *gone*' },
      AT,
    );
    expect(line).not.toContain('<!channel>');
    expect(line).not.toContain('<!here>');
    expect(line).toContain('Eve &lt;!channel&gt; is away until Mon 09:00 CET (Slack status :palm_tree: &lt;!here&gt;');
  });
});

describe('messages about a covered ticket', () => {
  it('the nudge names the away owner without mentioning them and says who covers', () => {
    const nudge = renderNudge(covered);
    expect(text(nudge)).toContain('Anna Agent (away)');
    expect(text(nudge)).toContain('<@UBOB> is covering');
    expect(text(nudge)).not.toContain('<@UANNA>');
    expect(blockKitProblems(nudge)).toEqual([]);
  });

  it('the escalation names the away owner without mentioning them, and who covers', () => {
    const post = renderEscalationPost(covered, 'support');
    expect(text(post)).toContain('Owner: Anna Agent (away; <@UBOB> covering)');
    expect(text(post)).not.toContain('<@UANNA>');
    expect(blockKitProblems(post)).toEqual([]);
  });

  it('the backup’s ping and DM say they cover; a former backup’s say it is handed on', () => {
    const ping = renderEscalationReply(covered, 'UBOB');
    expect(ping.text).toBe('Covering for Anna Agent: the first response time on this ticket is breached.');
    const dm = renderOwnerDm(covered, 'UBOB');
    expect(dm.text).toContain('Covering for Anna Agent: A ticket breached its first response time');
    const back: NudgeView = { ...base, coveredBefore: ['UBOB'] };
    expect(text(renderEscalationReply(back, 'UBOB'))).toContain('<@UANNA> is back — nothing more for you to do');
    expect(text(renderOwnerDm(back, 'UBOB'))).toContain('No longer yours to cover');
    const alone: NudgeView = { ...covered, cover: { ...covered.cover!, backup: undefined } };
    expect(renderEscalationReply(alone, NOBODY_COVERS).text).toBe(
      'Anna Agent is away until Mon 09:00 CET (out of office); no backup available: the first response time on this ticket is breached.',
    );
    for (const m of [ping, dm, renderEscalationReply(alone, NOBODY_COVERS), renderOwnerDm(back, 'UBOB')])
      expect(blockKitProblems(m)).toEqual([]);
  });
});
