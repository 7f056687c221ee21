// /digest with the digest feature's preview injected (the real one is wired in src/main.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testProviders } from '../support/db.ts';
import { blockKitProblems } from './support/block-kit.ts';
import { type Harness, startHarness } from './support/harness.ts';

describe.each(testProviders())('/digest on %s', (provider) => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness(provider, { withDigest: true });
    const part = (team: string, n: number) => ({
      text: `Digest ${team} part ${n}`,
      blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: `*${team}* part ${n}` } }],
    });
    h.digests.set('support', [part('support', 1), part('support', 2)]);
    h.digests.set('billing', [part('billing', 1)]);
  });

  afterEach(async () => {
    // Whatever a test did, everything Heed sent must be valid Block Kit within Slack's limits.
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  it.each([
    ['support', 'COTHER', 'support* part 1'],
    ['', 'CBILLING', 'billing* part 1'],
    ['BILLING', 'COTHER', 'billing* part 1'],
  ])('previews %j (from %s) privately', async (text, channel, expected) => {
    const res = await h.command('/digest', text, { channel });
    expect(res.json?.['response_type']).toBe('ephemeral');
    expect(JSON.stringify(res.json?.['blocks'])).toContain(expected);
    expect(blockKitProblems(res.json)).toEqual([]);
    expect(await h.db.prisma.outboxMessage.count()).toBe(0);
  });

  it('asks which team when it cannot tell', async () => {
    const res = await h.command('/digest', '', { channel: 'COTHER' });
    expect(res.json?.['text']).toContain('Which team?');
  });

  it('posts every part to the team channel through the outbox, in order, and audits it', async () => {
    const res = await h.command('/digest', 'support post', { user: 'UCAROL' });
    expect(JSON.stringify(res.json)).toContain('Posting');
    await h.outbox.drainUntilIdle();
    expect(h.slack.messagesIn('CSUPPORT').map((m) => m.text)).toEqual([
      'Digest support part 1',
      'Digest support part 2',
    ]);
    expect((await h.db.prisma.auditEntry.findFirst({ where: { action: 'digest_post' } }))?.actor).toBe('UCAROL');
  });

  it('lets only the listed people post a team digest that restricts it', async () => {
    const denied = await h.command('/digest', 'billing post', { user: 'UCAROL' });
    expect(JSON.stringify(denied.json)).toContain('Only the people listed');
    const allowed = await h.command('/digest', 'billing post', { user: 'ULEAD' });
    expect(JSON.stringify(allowed.json)).toContain('Posting');
    expect(await h.db.prisma.outboxMessage.count()).toBe(1);
  });
});
