// A working folder for `heed` children: a policy file and a SQLite database file in a fresh temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ALWAYS_OPEN = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);

/**
 * The outbox scenarios need volume: every late clock a message of its own, as before Heed had calm-first-day
 * rules. A clock late up to a day before Heed first saw it counts as live (not a line in a backlog summary) and
 * the burst budgets are lifted — what is under test is exactly-once delivery and pacing, not how calm Slack is.
 */
export const STORM = {
  engine: { liveWindowMinutes: 1440 },
  nudges: { perChannel: 500, perEscalationChannel: 500, perPerson: 500 },
};

/** One team per simulator HubSpot team, each with its own channel, open around the clock. */
export const FAULT_POLICY = {
  ...STORM,
  calendars: { always: { timezone: 'UTC', hours: ALWAYS_OPEN } },
  teams: [
    { name: 'tier1', channel: 'CTIER1', calendar: 'always', hubspotTeamIds: ['4001'] },
    { name: 'tier2', channel: 'CTIER2', calendar: 'always', hubspotTeamIds: ['4002'] },
    { name: 'billing', channel: 'CBILLING', calendar: 'always', hubspotTeamIds: ['4003'] },
    { name: 'support', channel: 'CSUPPORT', calendar: 'always' },
  ],
  sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '1d' }],
};

export const FAULT_CHANNELS = [
  { id: 'CTIER1', name: 'tier1' },
  { id: 'CTIER2', name: 'tier2' },
  { id: 'CBILLING', name: 'billing' },
  { id: 'CSUPPORT', name: 'support' },
];

export type Workspace = { dir: string; databaseUrl: string; configPath: string; remove(): void };

export function createWorkspace(prefix: string, policy: unknown = FAULT_POLICY): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `heed-faults-${prefix}-`));
  const configPath = join(dir, 'heed.config.json');
  writeFileSync(configPath, JSON.stringify(policy));
  return {
    dir,
    configPath,
    databaseUrl: `file:${join(dir, 'heed.db')}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
