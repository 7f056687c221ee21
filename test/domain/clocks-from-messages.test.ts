// Response clocks run on a ticket's conversation wherever it has one: who wrote each message, what kind of
// message it is and what it says decide; HubSpot's reply properties are not used. Tickets without a thread keep
// to the properties, and the result says which source it used.
import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import {
  countsAsReply,
  isCustomerMessage,
  latestUnanswered,
  NO_AUTOMATED_REPLIES,
  type TConversationMessage,
  type TMessageType,
  type TSenderKind,
} from '../../src/domain/conversation.ts';
import { parseDuration } from '../../src/domain/duration.ts';
import type { ClockName } from '../../src/domain/flag.ts';
import {
  computeTicketClocks,
  type TClockOptions,
  type TClockResult,
  type TClockRule,
  type TTicketFacts,
  type TTicketInput,
} from '../../src/domain/sla-clocks.ts';
import { createCourtesyClassifier } from '../../src/domain/substantive.ts';

const calendar = createBusinessCalendar({
  timezone: 'Europe/Berlin',
  hours: {
    mon: [['09:00', '17:00']],
    tue: [['09:00', '17:00']],
    wed: [['09:00', '17:00']],
    thu: [['09:00', '17:00']],
    fri: [['09:00', '17:00']],
  },
  holidays: [],
});

const RULE: TClockRule = {
  name: 'standard',
  firstResponse: parseDuration('1h')!,
  nextResponse: parseDuration('2h')!,
  resolution: parseDuration('3d')!,
  warnAt: 0.75,
};
const OPTIONS: TClockOptions = { waitingStageIds: new Set(), closedStageIds: new Set(), useHubspotSla: false };

// Monday 2026-11-23, Berlin (UTC+1).
const at = (time: string) => new Date(`2026-11-23T${time}:00+01:00`);

function ticket(over: Partial<TTicketFacts> = {}): TTicketFacts {
  return {
    id: '1',
    createdAt: at('09:00'),
    isClosed: false,
    closedAt: null,
    reopenedAt: null,
    firstAgentReplyAt: null,
    lastCustomerMessageAt: null,
    lastAgentMessageAt: null,
    stageId: '1',
    stageEnteredAt: at('09:00'),
    hsFirstResponseDueAt: null,
    hsNextResponseDueAt: null,
    hsCloseDueAt: null,
    ...over,
  };
}

const msg = (
  time: string,
  direction: 'INCOMING' | 'OUTGOING' | '',
  senderKind: TSenderKind,
  text: string,
  type: TMessageType = 'MESSAGE',
): TConversationMessage => ({ type, direction, senderKind, createdAt: at(time), text });
const customer = (time: string, text: string) => msg(time, 'INCOMING', 'customer', text);
const agent = (time: string, text = 'Here is what to do.') => msg(time, 'OUTGOING', 'agent', text);
const note = (time: string, text = 'Internal: asked engineering') => msg(time, '', 'agent', text, 'COMMENT');
const ai = (time: string) => msg(time, 'OUTGOING', 'ai', 'Our AI agent: try clearing the cache.');
const bot = (time: string) => msg(time, 'OUTGOING', 'bot', 'Thanks for reaching out! An agent will be with you.');

const QUESTION = customer('09:00', 'The export fails with an error since this morning, please help');

function clocks(input: TTicketInput, now: string, options: TClockOptions = OPTIONS, rule: TClockRule = RULE) {
  return computeTicketClocks(input, rule, calendar, options, at(now));
}
const find = (result: ReturnType<typeof clocks>, name: ClockName): TClockResult | undefined =>
  result.clocks.find((c) => c.clock === name);

describe('which messages count', () => {
  it.each<[string, TConversationMessage, boolean, boolean, boolean]>([
    // name, message, a reply by default, a reply with AI and bots counted, the customer asking
    ['an agent’s message', agent('10:00'), true, true, false],
    [
      'an outgoing email with no known sender (a person’s own mail client)',
      msg('10:00', 'OUTGOING', 'unknown', 'x'),
      true,
      true,
      false,
    ],
    ['the AI customer agent', ai('10:00'), false, true, false],
    ['a chatflow bot', bot('10:00'), false, true, false],
    ['another app sending for the inbox', msg('10:00', 'OUTGOING', 'integration', 'x'), false, true, false],
    ['HubSpot’s own auto-acknowledgement', msg('10:00', 'OUTGOING', 'system', 'We got it'), false, false, false],
    ['an internal note', note('10:00'), false, false, false],
    [
      'a welcome message',
      msg('10:00', 'OUTGOING', 'bot', 'Hi! How can we help?', 'WELCOME_MESSAGE'),
      false,
      false,
      false,
    ],
    ['the customer writing', customer('10:00', 'Help'), false, false, true],
    [
      'a message from before senders were recorded',
      { direction: 'OUTGOING', createdAt: at('10:00'), text: 'x' },
      true,
      true,
      false,
    ],
  ])('%s', (_name, message, byDefault, withAutomated, asking) => {
    expect(countsAsReply(message, NO_AUTOMATED_REPLIES)).toBe(byDefault);
    expect(countsAsReply(message, { aiAgent: true, bots: true })).toBe(withAutomated);
    expect(isCustomerMessage(message)).toBe(asking);
  });
});

describe('first response from messages', () => {
  it.each<[string, TConversationMessage[], TClockOptions, TClockRule, string, Partial<TClockResult>]>([
    ['an agent’s reply stops it', [QUESTION, agent('09:40')], OPTIONS, RULE, '11:00', { state: 'met' }],
    // The hidden-style vector: an internal note is not a reply.
    [
      'an internal note does not stop it',
      [QUESTION, note('09:20')],
      OPTIONS,
      RULE,
      '09:50',
      { state: 'at_risk', completedAt: null },
    ],
    ['an internal note, then breached', [QUESTION, note('09:20')], OPTIONS, RULE, '10:30', { state: 'breached' }],
    // The hidden-style vector: the AI agent's reply stops it only when configured.
    [
      'the AI agent’s reply does not stop it by default',
      [QUESTION, ai('09:05')],
      OPTIONS,
      RULE,
      '10:30',
      { state: 'breached' },
    ],
    [
      'the AI agent’s reply stops it when the policy counts it',
      [QUESTION, ai('09:05')],
      { ...OPTIONS, countRepliesFrom: { aiAgent: true, bots: false } },
      RULE,
      '10:30',
      { state: 'met' },
    ],
    [
      'a rule may count the AI agent where the engine does not',
      [QUESTION, ai('09:05')],
      OPTIONS,
      { ...RULE, countRepliesFrom: { aiAgent: true } },
      '10:30',
      { state: 'met' },
    ],
    [
      'a rule may refuse the AI agent where the engine counts it',
      [QUESTION, ai('09:05')],
      { ...OPTIONS, countRepliesFrom: { aiAgent: true, bots: true } },
      { ...RULE, countRepliesFrom: { aiAgent: false } },
      '10:30',
      { state: 'breached' },
    ],
    ['a bot’s greeting does not stop it', [QUESTION, bot('09:00')], OPTIONS, RULE, '10:30', { state: 'breached' }],
    [
      'a bot counts when configured',
      [QUESTION, bot('09:01')],
      { ...OPTIONS, countRepliesFrom: { aiAgent: false, bots: true } },
      RULE,
      '10:30',
      { state: 'met' },
    ],
  ])('%s', (_name, messages, options, rule, now, expected) => {
    const result = clocks({ ticket: ticket(), messages, source: 'messages' }, now, options, rule);
    expect(result.source).toBe('messages');
    expect(find(result, 'firstResponse')).toMatchObject(expected);
  });

  it('ignores the reply properties: HubSpot counts the AI agent’s answer as a message sent', () => {
    const facts = ticket({ firstAgentReplyAt: at('09:05'), lastAgentMessageAt: at('09:05') });
    const fromMessages = clocks({ ticket: facts, messages: [QUESTION, ai('09:05')], source: 'messages' }, '10:30');
    expect(find(fromMessages, 'firstResponse')).toMatchObject({ state: 'breached' });
    expect(fromMessages.replied).toBe(false);
    // The same ticket without a thread keeps to the properties, and says so.
    const fromProperties = clocks({ ticket: facts }, '10:30');
    expect(fromProperties.source).toBe('properties');
    expect(find(fromProperties, 'firstResponse')).toMatchObject({ state: 'met' });
    expect(fromProperties.replied).toBe(true);
  });

  it('a reply before the ticket was made counts when the customer asked nothing since', () => {
    const facts = ticket({ createdAt: at('09:30') });
    const answered = clocks(
      {
        ticket: facts,
        messages: [customer('09:00', 'Where is my invoice for October?'), agent('09:10')],
        source: 'messages',
      },
      '11:00',
    );
    expect(find(answered, 'firstResponse')).toMatchObject({ state: 'met', completedAt: at('09:10') });
    const askedAgain = clocks(
      {
        ticket: facts,
        messages: [customer('09:00', 'Where is my invoice?'), agent('09:10'), customer('09:20', 'It is not attached.')],
        source: 'messages',
      },
      '11:00',
    );
    expect(find(askedAgain, 'firstResponse')).toMatchObject({ state: 'breached' });
  });
});

describe('next response from messages', () => {
  // The hidden-style vector: a customer's "Thanks!" after the agent's reply leaves no running next-response clock,
  // in any language, even though HubSpot's hs_last_message_received_at moved.
  it.each(['Thanks!', 'спасибо', 'danke', 'merci', 'gracias', 'obrigado', 'ありがとう', '👍', 'ok'])(
    '"%s" after the agent’s reply starts nothing',
    (thanks) => {
      const facts = ticket({ lastCustomerMessageAt: at('10:00'), lastAgentMessageAt: at('09:30') });
      const result = clocks(
        { ticket: facts, messages: [QUESTION, agent('09:30'), customer('10:00', thanks)], source: 'messages' },
        '13:00',
      );
      expect(find(result, 'nextResponse')).toBeUndefined();
      expect(
        result.clocks.filter((c) => c.state === 'running' || c.state === 'at_risk' || c.state === 'breached'),
      ).toEqual([expect.objectContaining({ clock: 'resolution' })]);
    },
  );

  it('the same "Thanks!" known only by the properties does start one (no text to judge)', () => {
    const facts = ticket({
      firstAgentReplyAt: at('09:30'),
      lastAgentMessageAt: at('09:30'),
      lastCustomerMessageAt: at('10:00'),
    });
    expect(find(clocks({ ticket: facts }, '11:00'), 'nextResponse')).toMatchObject({ state: 'running' });
  });

  it('a real question after the reply starts it; an internal note does not answer it', () => {
    const messages = [
      QUESTION,
      agent('09:30'),
      customer('10:00', 'Thanks, but the export still fails for the November report'),
      note('10:30'),
    ];
    const result = clocks({ ticket: ticket(), messages, source: 'messages' }, '11:00');
    expect(find(result, 'nextResponse')).toMatchObject({ state: 'running', startedAt: at('10:00'), usedMinutes: 60 });
    const answered = clocks({ ticket: ticket(), messages: [...messages, agent('11:30')], source: 'messages' }, '12:00');
    expect(find(answered, 'nextResponse')).toMatchObject({ state: 'met', completedAt: at('11:30') });
  });

  it('a courtesy message after a question does not move the clock, either way', () => {
    const messages = [
      QUESTION,
      agent('09:30'),
      customer('10:00', 'Is there a fix yet?'),
      customer('10:20', 'Thanks in advance!'),
    ];
    for (const nextResponseFrom of ['firstUnanswered', 'latest'] as const) {
      const result = clocks({ ticket: ticket(), messages, source: 'messages' }, '11:00', {
        ...OPTIONS,
        nextResponseFrom,
      });
      expect(find(result, 'nextResponse')).toMatchObject({ startedAt: at('10:00') });
    }
  });

  it('nextResponseFrom picks the first or the latest substantive message', () => {
    const messages = [
      QUESTION,
      agent('09:30'),
      customer('10:00', 'The export fails again'),
      customer('11:00', 'Any news? The finance team is blocked'),
    ];
    const first = clocks({ ticket: ticket(), messages, source: 'messages' }, '11:30');
    expect(find(first, 'nextResponse')).toMatchObject({ startedAt: at('10:00') });
    const latest = clocks({ ticket: ticket(), messages, source: 'messages' }, '11:30', {
      ...OPTIONS,
      nextResponseFrom: 'latest',
    });
    expect(find(latest, 'nextResponse')).toMatchObject({ startedAt: at('11:00') });
  });

  it('a start carried from a properties-based run does not keep a clock running on a "thanks!"', () => {
    // The last run saw only hs_last_message_received_at (the thread was not synced yet) and started a clock.
    const previous = [{ clock: 'nextResponse' as const, cycle: 0, startedAt: at('10:00'), completedAt: null }];
    const result = clocks(
      {
        ticket: ticket(),
        messages: [QUESTION, agent('09:30'), customer('10:00', 'Thanks!')],
        previous,
        source: 'messages',
      },
      '13:00',
    );
    const next = find(result, 'nextResponse');
    expect(next?.state === 'running' || next?.state === 'at_risk' || next?.state === 'breached').toBe(false);
  });

  it('the AI agent’s answer to a follow-up counts only when configured', () => {
    const messages = [QUESTION, agent('09:30'), customer('10:00', 'And how do I export to CSV?'), ai('10:01')];
    expect(find(clocks({ ticket: ticket(), messages, source: 'messages' }, '13:00'), 'nextResponse')).toMatchObject({
      state: 'breached',
    });
    expect(
      find(
        clocks({ ticket: ticket(), messages, source: 'messages' }, '13:00', {
          ...OPTIONS,
          countRepliesFrom: { aiAgent: true, bots: false },
        }),
        'nextResponse',
      ),
    ).toMatchObject({ state: 'met' });
  });
});

describe('the quote: what the customer is waiting on', () => {
  const courtesy = createCourtesyClassifier();
  it.each<[string, TConversationMessage[], string | undefined]>([
    [
      'the question after the last reply',
      [QUESTION, agent('09:30'), customer('10:00', 'Still failing?')],
      'Still failing?',
    ],
    ['nothing once answered', [QUESTION, agent('09:30')], undefined],
    [
      'the question, not the thanks-in-advance after it',
      [QUESTION, agent('09:30'), customer('10:00', 'Is there a fix?'), customer('10:05', 'Thanks in advance!')],
      'Is there a fix?',
    ],
    ['not answered by an internal note', [QUESTION, note('09:30')], QUESTION.text!],
    ['the latest of several', [QUESTION, customer('09:10', 'Also the PDF export fails')], 'Also the PDF export fails'],
  ])('%s', (_name, messages, text) => {
    expect(latestUnanswered(messages, NO_AUTOMATED_REPLIES, courtesy, at('12:00'))?.text).toBe(text);
  });
});
