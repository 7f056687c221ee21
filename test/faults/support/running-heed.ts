// A started Heed (startHeed, in this process) with the HubSpot simulator and the Slack stand-in, synced and
// evaluated, its first nudges posted: the target of the forged-request and fuzz scenarios.

import { loadConfig } from '../../../src/config.ts';
import { SimPortal as Portal, type SimPortal } from '../../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../../src/hubspot/simulator/server.ts';
import { signV3 } from '../../../src/hubspot/webhook-signature.ts';
import type { Logger } from '../../../src/logger.ts';
import { type RunningHeed, startHeed } from '../../../src/main.ts';
import { FakeSlackServer } from '../../../src/slack/fake-slack-server.ts';
import { createTestDatabase, type TestDatabase, type TestProvider } from '../../support/db.ts';
import { FAULT_CHANNELS, FAULT_POLICY } from './workspace.ts';

export const HUBSPOT_TOKEN = 'pat-na1-faults-8888-9999-aaaa-bbbbbbbbbbbb';
export const HUBSPOT_CLIENT_SECRET = 'hubspot-client-secret-faults';
export const SLACK_SIGNING_SECRET = 'slack-signing-secret-faults-0123';

export type HeedTarget = {
  heed: RunningHeed;
  base: string;
  slack: FakeSlackServer;
  sim: Simulator;
  portal: SimPortal;
  /** Headers HubSpot would send with this body (v3 signature over method, full URL, body and timestamp). */
  hubspotHeaders(body: string, options?: { secret?: string; timestamp?: number }): Record<string, string>;
  close(): Promise<void>;
};

export async function startTarget(provider: TestProvider, logger: Logger, tickets = 60): Promise<HeedTarget> {
  const database: TestDatabase = await createTestDatabase(provider);
  const portal = new Portal({ now: Date.now(), tickets, days: 2, seed: 23 });
  const sim = await startSimulator({ portal, accessToken: HUBSPOT_TOKEN });
  const slack = await new FakeSlackServer().start();
  for (const channel of FAULT_CHANNELS) slack.addChannel(channel);
  const config = loadConfig({
    env: {
      DATABASE_URL: database.url,
      HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
      HUBSPOT_CLIENT_SECRET,
      HUBSPOT_API_URL: sim.url,
      SLACK_BOT_TOKEN: 'xoxb-faults-target',
      SLACK_SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      HEED_CONFIG: '/policy.json',
    },
    fileExists: () => true,
    readFile: () => JSON.stringify(FAULT_POLICY),
  });
  const heed = await startHeed({ config, logger, port: 0, schedules: false });
  const base = `http://127.0.0.1:${heed.port}`;
  const close = async () => {
    await heed.stop();
    await sim.close();
    await slack.stop();
    await database.drop();
  };
  try {
    const sync = await heed.scheduler.runNow('sync');
    if (!sync.started || sync.outcome !== 'succeeded') throw new Error(`sync: ${JSON.stringify(sync)}`);
    const evaluate = await heed.scheduler.runNow('evaluate');
    if (!evaluate.started || evaluate.outcome !== 'succeeded') throw new Error(`evaluate: ${JSON.stringify(evaluate)}`);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && slack.messagesIn('CTIER1').length === 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    heed,
    base,
    slack,
    sim,
    portal,
    hubspotHeaders: (body, options = {}) => {
      const timestamp = String(options.timestamp ?? Date.now());
      const uri = `${base}/hubspot/webhooks`;
      return {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signV3(options.secret ?? HUBSPOT_CLIENT_SECRET, 'POST', uri, body, timestamp),
        'x-hubspot-request-timestamp': timestamp,
      };
    },
    close,
  };
}
