// Conversations end to end: the simulator's inbox (shaped like HubSpot's 2026-09 conversations API) → the
// conversation sync → the evaluation → ClockState, on a real database. The vectors: a customer's "Thanks!"
// after the agent's reply leaves no running next-response clock; an internal note does not stop the first-response
// clock; the AI agent's reply stops it only when the policy says so. And what the sync costs and keeps: only
// threads with messages since the cursor, nothing read twice, spam and loose chats dropped, text capped.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy, type TPolicyInput } from '../../src/config.ts';
import { MESSAGE_TEXT_MAX } from '../../src/hubspot/conversation-map.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { DEFAULT_CONVERSATION_OPTIONS } from '../../src/services/sync-conversations.ts';
import { type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const always = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);

function policy(extra: Partial<TPolicyInput> = {}): TPolicy {
  return parsePolicy(
    {
      calendars: { default: { timezone: 'UTC', hours: always } },
      teams: [{ name: 'support', channel: 'C0SUPPORT' }],
      sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '5d' }],
      ...extra,
    },
    'test policy',
  );
}

describe.each(testProviders())('conversations drive the response clocks, on %s', (provider) => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness(provider, { portal: { tickets: 40 } });
  });
  afterEach(async () => {
    await h.close();
  });

  /** A new ticket with a conversation whose first message is the customer's `text`, created `ago` before now. */
  function newTicket(ago: number, text: string): { id: string; at: number } {
    const at = h.clock.now().getTime() - ago;
    const [id] = h.sim.portal.createTickets(1, at);
    const ticket = id!;
    const portal = h.sim.portal;
    const index = portal.ticketIndex(ticket)!;
    const created = Date.parse(portal.ticketProperties(index)['createdate']!);
    // The request as given (an email or chat ticket came with the simulator's own; a form had no thread at all).
    const thread = portal.conversations.threadOfTicket(index);
    if (thread !== undefined) portal.conversations.clearThread(thread);
    portal.addMessage(ticket, 'customer', created, text);
    return { id: ticket, at: created };
  }

  const clocks = async (ticketId: string) =>
    Object.fromEntries(
      (await h.db.prisma.clockState.findMany({ where: { ticketId } })).map((c) => [c.clock, c] as const),
    );
  const evaluateNow = (p: TPolicy) =>
    evaluate({ db: h.db, config: { policy: p }, logger: silentLogger() }, h.clock.now(), { mode: 'full' });

  it('a customer’s “Thanks!” after the agent’s reply leaves no running next-response clock; a real follow-up does', async () => {
    const thanked = newTicket(3 * HOUR, 'Our export fails since this morning, can you help?');
    h.sim.portal.addMessage(thanked.id, 'agent', thanked.at + 20 * MINUTE, 'Fixed, please try again.');
    h.sim.portal.addMessage(thanked.id, 'customer', thanked.at + 40 * MINUTE, 'Thanks!');
    const followUp = newTicket(3 * HOUR, 'Our dashboard does not load.');
    h.sim.portal.addMessage(followUp.id, 'agent', followUp.at + 20 * MINUTE, 'Could you send a screenshot?');
    h.sim.portal.addMessage(followUp.id, 'customer', followUp.at + 40 * MINUTE, 'It still fails after the update.');

    const stats = await h.service.run();
    expect(stats.records.threads).toBeGreaterThanOrEqual(2);
    await evaluateNow(policy());

    // HubSpot's properties say the customer wrote last on both; the messages tell a thank-you from a request.
    const t = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: thanked.id } });
    expect(t.lastCustomerMessageAt!.getTime()).toBeGreaterThan(t.lastAgentMessageAt!.getTime());
    const a = await clocks(thanked.id);
    expect(a['firstResponse']).toMatchObject({ state: 'met', source: 'messages' });
    expect(a['nextResponse']?.completedAt ?? null).toBeNull();
    expect(['running', 'at_risk', 'breached']).not.toContain(a['nextResponse']?.state);
    expect(a['nextResponse']?.quoteText ?? null).toBeNull();

    const b = await clocks(followUp.id);
    expect(b['nextResponse']).toMatchObject({
      state: 'breached',
      source: 'messages',
      quoteText: 'It still fails after the update.',
    });
    expect(b['nextResponse']!.startedAt.getTime()).toBe(followUp.at + 40 * MINUTE);
    expect(b['nextResponse']!.quoteAt!.getTime()).toBe(followUp.at + 40 * MINUTE);
  });

  it('an internal note does not stop the first-response clock; the reply after it does', async () => {
    const noted = newTicket(2 * HOUR, 'We were charged twice this month.');
    h.sim.portal.addMessage(noted.id, 'comment', noted.at + 10 * MINUTE, 'Internal: asked billing to check.');
    const answered = newTicket(2 * HOUR, 'How do I invite a colleague?');
    h.sim.portal.addMessage(answered.id, 'comment', answered.at + 10 * MINUTE, 'Internal: docs link?');
    h.sim.portal.addMessage(answered.id, 'agent', answered.at + 30 * MINUTE, 'Settings → Users.');

    await h.service.run();
    await evaluateNow(policy());

    const a = await clocks(noted.id);
    expect(a['firstResponse']).toMatchObject({ state: 'breached', completedAt: null, source: 'messages' });
    expect(a['firstResponse']!.quoteText).toBe('We were charged twice this month.');
    const stored = await h.db.prisma.ticketMessage.findMany({
      where: { ticketId: noted.id },
      orderBy: { createdAt: 'asc' },
    });
    expect(stored.map((m) => `${m.type}/${m.senderKind}`)).toEqual(['MESSAGE/customer', 'COMMENT/agent']);

    const b = await clocks(answered.id);
    expect(b['firstResponse']).toMatchObject({ state: 'met', source: 'messages', quoteText: null });
    expect(b['firstResponse']!.completedAt!.getTime()).toBe(answered.at + 30 * MINUTE);
  });

  it('the AI agent’s reply stops the first-response clock only when the policy counts it', async () => {
    const ai = newTicket(2 * HOUR, 'Can I export to CSV?');
    h.sim.portal.addMessage(ai.id, 'ai', ai.at + 5 * MINUTE, 'Yes: Reports → Export → CSV.');
    await h.service.run();
    // HubSpot counts the AI agent's answer as the first agent message.
    const t = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: ai.id } });
    expect(t.firstAgentReplyAt!.getTime()).toBe(ai.at + 5 * MINUTE);

    await evaluateNow(policy());
    expect((await clocks(ai.id))['firstResponse']).toMatchObject({ state: 'breached', completedAt: null });

    await evaluateNow(
      policy({
        engine: {
          useHubspotSla: false,
          substantiveReplyMinLength: 0,
          courtesy: { maxLength: 120, phrases: [], emojiOnly: true },
          countRepliesFrom: { aiAgent: true, bots: false },
          nextResponseFrom: 'firstUnanswered',
          liveWindowMinutes: 15,
        },
      }),
    );
    const counted = (await clocks(ai.id))['firstResponse']!;
    expect(counted).toMatchObject({ state: 'met', source: 'messages' });
    expect(counted.completedAt!.getTime()).toBe(ai.at + 5 * MINUTE);
  });

  it('open tickets without a thread keep to their properties and say so', async () => {
    await h.service.run();
    await evaluateNow(policy());
    const portal = h.sim.portal;
    const bySource = { messages: 0, properties: 0, wrong: [] as string[] };
    const open = await h.db.prisma.ticket.findMany({
      where: { isClosed: false, archived: false },
      select: { id: true },
    });
    const states = await h.db.prisma.clockState.findMany({
      where: { clock: 'firstResponse', ticketId: { in: open.map((t) => t.id) } },
    });
    // (A closed ticket's thread is recorded without its messages: its clocks are over; a thread quiet for longer
    // than the look-back is not listed: see sync-conversations.ts.)
    const lookback = h.clock.now().getTime() - DEFAULT_CONVERSATION_OPTIONS.lookbackDays * 86_400_000;
    for (const state of states) {
      const k = portal.conversations.threadOfTicket(portal.ticketIndex(state.ticketId)!);
      const threaded = k !== undefined && portal.conversations.latestAt(k) > lookback;
      if (state.source === 'messages') bySource.messages++;
      else bySource.properties++;
      if ((state.source === 'messages') !== threaded) bySource.wrong.push(state.ticketId);
    }
    expect(bySource.wrong).toEqual([]);
    expect(bySource.messages).toBeGreaterThan(0);
    expect(bySource.properties).toBeGreaterThan(0);
  });

  it('reads only threads with messages since the cursor, drops spam and loose chats, caps text', async () => {
    const first = await h.service.run();
    const calls = first.conversations!.calls;
    expect(first.conversations!.caughtUp).toBe(true);
    const threads = await h.db.prisma.conversationThread.count();
    expect(threads).toBeGreaterThan(0);

    // Nothing new: one listing call, nothing read.
    const idle = await h.service.run();
    expect(idle.conversations).toMatchObject({ read: 0, messages: 0, calls: 1 });

    // One new message, one loose chat, one long message on another ticket, one thread marked spam.
    const ticket = newTicket(30 * MINUTE, 'Hello?');
    const long = newTicket(20 * MINUTE, 'x'.repeat(MESSAGE_TEXT_MAX + 500));
    h.sim.portal.addLooseThread(h.clock.now().getTime() - 10 * MINUTE);
    const spam = newTicket(15 * MINUTE, 'Buy cheap watches');
    await h.service.run();
    expect(await h.db.prisma.ticketMessage.count({ where: { ticketId: spam.id } })).toBe(1);
    h.sim.portal.markThreadSpam(spam.id);
    h.sim.portal.addMessage(spam.id, 'customer', h.clock.now().getTime() - MINUTE, 'More watches');
    h.sim.portal.addMessage(ticket.id, 'customer', h.clock.now().getTime() - 2 * MINUTE, 'Anyone there?');
    const next = await h.service.run();
    expect(next.conversations!.read).toBe(1);
    expect(next.conversations!.calls).toBeLessThan(calls);
    expect(await h.db.prisma.ticketMessage.count({ where: { ticketId: ticket.id } })).toBe(2);
    expect(await h.db.prisma.ticketMessage.count({ where: { ticketId: spam.id } })).toBe(0);
    expect(await h.db.prisma.conversationThread.count({ where: { ticketId: spam.id } })).toBe(0);
    const longText = (await h.db.prisma.ticketMessage.findFirstOrThrow({ where: { ticketId: long.id } })).text!;
    expect(longText.length).toBe(MESSAGE_TEXT_MAX);
    // The loose chat belongs to no ticket: not kept.
    expect(await h.db.prisma.conversationThread.count()).toBe(threads + 2);
  });

  it('without the conversations.read scope the sync carries on and the clocks keep to the properties', async () => {
    await h.close();
    h = await startHarness(provider, {
      portal: { tickets: 40 },
      sim: {
        scopes: [
          'tickets',
          'crm.objects.owners.read',
          'crm.objects.contacts.read',
          'crm.objects.companies.read',
          'crm.objects.feedback_submissions.read',
          'crm.objects.users.read',
          'oauth',
        ],
      },
    });
    const stats = await h.service.run();
    expect(stats.records.threads).toBe('forbidden');
    expect(stats.records.tickets).toBeGreaterThan(0);
    await evaluateNow(policy());
    const sources = await h.db.prisma.clockState.groupBy({ by: ['source'], _count: true });
    expect(sources.map((s) => s.source)).toEqual(['properties']);
  });
});
