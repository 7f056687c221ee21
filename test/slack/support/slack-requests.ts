// Sends requests to a running Bolt app exactly as Slack does: v0-signed, slash commands and
// interactivity as bare application/x-www-form-urlencoded, events as JSON.
import { createHmac } from 'node:crypto';

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789';

export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlackResponse {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
}

export interface SendOptions {
  /** Seconds; defaults to the real now (Bolt checks staleness against the real clock). */
  timestamp?: number;
  secret?: string;
  signature?: string;
  headers?: Record<string, string>;
}

export async function sendSigned(
  baseUrl: string,
  body: string,
  contentType: string,
  options: SendOptions = {},
): Promise<SlackResponse> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const response = await fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? sign(options.secret ?? TEST_SIGNING_SECRET, timestamp, body),
      ...options.headers,
    },
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

export function slashCommandBody(fields: {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  response_url: string;
}): string {
  return new URLSearchParams({
    token: 'verification-token-unused',
    team_id: 'T0HEED',
    team_domain: 'heed-test',
    channel_id: fields.channel_id,
    channel_name: 'support',
    user_id: fields.user_id,
    user_name: 'someone',
    command: fields.command,
    text: fields.text,
    api_app_id: 'A0HEED',
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: '1234.5678.abcdef',
  }).toString();
}

let eventCounter = 0;

export function eventBody(event: Record<string, unknown>, eventId = `Ev${Date.now()}${eventCounter++}`): string {
  return JSON.stringify({
    token: 'verification-token-unused',
    team_id: 'T0HEED',
    api_app_id: 'A0HEED',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: 'T0HEED', user_id: 'UHEEDBOT', is_bot: true, is_enterprise_install: false },
    ],
    event_context: '4-opaque',
  });
}

export function blockActionBody(fields: {
  user: string;
  channel: string;
  messageTs: string;
  actionId: string;
  value?: string;
  responseUrl: string;
  actionTs?: string;
}): string {
  const payload = {
    type: 'block_actions',
    user: { id: fields.user, username: 'someone', team_id: 'T0HEED' },
    api_app_id: 'A0HEED',
    token: 'verification-token-unused',
    container: { type: 'message', message_ts: fields.messageTs, channel_id: fields.channel, is_ephemeral: false },
    trigger_id: '1234.5678.abcdef',
    team: { id: 'T0HEED', domain: 'heed-test' },
    channel: { id: fields.channel, name: 'support' },
    message: { type: 'message', ts: fields.messageTs, blocks: [] },
    response_url: fields.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: fields.actionId,
        block_id: 'nudge_actions',
        ...(fields.value !== undefined ? { value: fields.value } : {}),
        text: { type: 'plain_text', text: 'button' },
        action_ts: fields.actionTs ?? `${Date.now() / 1000}`,
      },
    ],
    state: { values: {} },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
