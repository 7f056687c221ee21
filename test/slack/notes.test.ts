// Ephemeral notes against the fake Slack Web API over HTTP: one per person and item for a while, a per-minute
// budget, a 429 honoured, and never an exception into the listener that asked.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.ts';
import { createSlackWebClient } from '../../src/slack/app.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { EphemeralNotes } from '../../src/slack/notes.ts';
import { fromNote } from '../../src/slack/render/mrkdwn.ts';
import { renderNotice } from '../../src/slack/render/replies.ts';
import { captureLogger } from './support/capture-logger.ts';

describe('EphemeralNotes', () => {
  let slack: FakeSlackServer;
  let clock: ReturnType<typeof manualClock>;
  let log: ReturnType<typeof captureLogger>;
  let notes: EphemeralNotes;

  beforeEach(async () => {
    clock = manualClock(new Date('2026-03-02T10:00:00Z'));
    slack = await new FakeSlackServer().start();
    log = captureLogger();
    const web = createSlackWebClient({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, log.logger, {});
    notes = new EphemeralNotes({ slack: web, logger: log.logger, now: () => clock.now(), perMinute: 3 });
  });
  afterEach(async () => {
    await slack.stop();
  });

  const note = (user: string, about: string, threadTs?: string) => ({
    channel: 'CSUPPORT',
    user,
    about,
    threadTs,
    message: renderNotice(fromNote('Your :white_check_mark: changed nothing. Only <@UANNA> can undo that.')),
  });

  it('sends the note to that person only, in the thread when asked', async () => {
    expect(await notes.send(note('UBOB', 'ticket:1:firstResponse:0', '1772445600.000100'))).toBe('sent');
    expect(slack.ephemeral).toEqual([
      {
        channel: 'CSUPPORT',
        user: 'UBOB',
        text: 'Your :white_check_mark: changed nothing. Only <@UANNA> can undo that.',
        blocks: expect.any(Array),
      },
    ]);
    expect(slack.callsOf('chat.postEphemeral')[0]!.args['thread_ts']).toBe('1772445600.000100');
  });

  it('tells a person once a minute about one item, however often they click', async () => {
    expect(await notes.send(note('UBOB', 'flag-a'))).toBe('sent');
    expect(await notes.send(note('UBOB', 'flag-a'))).toBe('repeat');
    expect(await notes.send(note('UBOB', 'flag-b'))).toBe('sent');
    expect(await notes.send(note('UDAVE', 'flag-a'))).toBe('sent');
    clock.advance(60_000);
    expect(await notes.send(note('UBOB', 'flag-a'))).toBe('sent');
    expect(slack.ephemeral).toHaveLength(4);
  });

  it('keeps to its budget per minute, then sends again', async () => {
    for (const user of ['U1', 'U2', 'U3']) expect(await notes.send(note(user, 'x'))).toBe('sent');
    expect(await notes.send(note('U4', 'x'))).toBe('over_budget');
    clock.advance(59_999);
    expect(await notes.send(note('U4', 'x'))).toBe('over_budget');
    clock.advance(1);
    expect(await notes.send(note('U4', 'x'))).toBe('sent');
    expect(slack.ephemeral.map((n) => n.user)).toEqual(['U1', 'U2', 'U3', 'U4']);
  });

  it('pauses for a 429’s Retry-After and drops, never throws, on errors', async () => {
    slack.failNext('chat.postEphemeral', { status: 429, retryAfter: 5 });
    expect(await notes.send(note('U1', 'x'))).toBe('failed');
    clock.advance(4_000);
    expect(await notes.send(note('U2', 'x'))).toBe('over_budget');
    clock.advance(1_000);
    slack.failNext('chat.postEphemeral', { error: 'user_not_in_channel' });
    expect(await notes.send(note('U3', 'x'))).toBe('failed');
    expect(await notes.send(note('U4', 'x'))).toBe('sent');
    expect(slack.ephemeral.map((n) => n.user)).toEqual(['U4']);
    expect(log.lines().filter((l) => l['msg'] === 'slack notes: chat.postEphemeral failed')).toHaveLength(2);
  });
});
