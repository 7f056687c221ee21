// The factory picks the transport from the environment and fails fast, with a fix, on what is missing.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { createSlackApp } from '../../src/slack/app.ts';
import type { SlackServices } from '../../src/slack/listeners/services.ts';

const services = {} as SlackServices; // listeners only read it when a request arrives
const base = {
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'signing-secret-123',
  SLACK_APP_TOKEN: undefined,
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
  PORT: 0,
};

describe('createSlackApp', () => {
  it('uses Socket Mode when SLACK_APP_TOKEN is set (no signing secret needed)', () => {
    const slack = createSlackApp({
      env: { ...base, SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-test' },
      services,
      logger: silentLogger(),
      botId: 'B',
      botUserId: 'U',
    });
    expect((slack.app as unknown as { receiver: object }).receiver.constructor.name).toBe('SocketModeReceiver');
  });

  it('uses the HTTP receiver otherwise', () => {
    const slack = createSlackApp({ env: base, services, logger: silentLogger(), botId: 'B', botUserId: 'U' });
    expect((slack.app as unknown as { receiver: object }).receiver.constructor.name).toBe('HTTPReceiver');
  });

  it.each([
    [{ SLACK_BOT_TOKEN: undefined }, 'SLACK_BOT_TOKEN'],
    [{ SLACK_SIGNING_SECRET: undefined }, 'SLACK_SIGNING_SECRET'],
  ])('refuses to start without %j, naming the variable and the fix', (missing, name) => {
    expect(() => createSlackApp({ env: { ...base, ...missing }, services, logger: silentLogger() })).toThrow(name);
    try {
      createSlackApp({ env: { ...base, ...missing }, services, logger: silentLogger() });
    } catch (error) {
      expect((error as { code: string; fix: string }).code).toBe('ENV_MISSING');
      expect((error as { fix: string }).fix.length).toBeGreaterThan(10);
    }
  });
});
