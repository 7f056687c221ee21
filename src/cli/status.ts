import { existsSync } from 'node:fs';
import { databaseProvider, loadConfig } from '../config.ts';
import { openDatabase, sqlitePath } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { checkReadiness } from '../ops/readiness.ts';
import { collectStatus, renderStatusText } from '../ops/status.ts';
import type { Command } from './commands.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show what Heed is doing: last sync, queued webhooks and Slack messages, open flags, next digests',
  description:
    'The same facts as `/heed status` in Slack, read from the database, for someone with shell access. ' +
    'Works while `heed start` runs.',
  options: { json: { type: 'boolean', help: 'print the facts as JSON' } },
  run: async ({ values, io }) => {
    const config = loadConfig();
    const url = config.env.DATABASE_URL;
    // Opening a missing SQLite file would create an empty database; say what is wrong instead.
    if (databaseProvider(url) === 'sqlite' && !existsSync(sqlitePath(url))) {
      throw new AppError('DB_UNREACHABLE', `There is no Heed database at ${sqlitePath(url)}.`, {
        fix: 'check DATABASE_URL, or run `heed start` (or `heed migrate`) once to create it',
      });
    }
    const db = await openDatabase(url);
    try {
      const pending = await db.pendingMigrations();
      if (pending.length > 0) {
        throw new AppError('DB_MIGRATION_FAILED', `The database is missing migrations: ${pending.join(', ')}.`, {
          fix: 'run `heed migrate` (or start Heed, which applies them)',
        });
      }
      const now = new Date();
      const facts = await collectStatus({ db, config }, now);
      // As /readyz would answer in this configuration (no HubSpot token: no sync to wait for).
      const readiness = await checkReadiness({
        db,
        config,
        clock: () => now,
        requireSync: config.env.HUBSPOT_ACCESS_TOKEN !== undefined,
      });
      io.out(
        values.json === true ? JSON.stringify({ ...facts, readiness }, null, 2) : renderStatusText(facts, readiness),
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
