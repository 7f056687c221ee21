import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import type { Command } from './commands.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations (start does this too) and report what was applied',
  run: async ({ io }) => {
    const config = loadConfig();
    const db = await openDatabase(config.env.DATABASE_URL);
    try {
      const report = await db.migrate();
      for (const warning of report.warnings) io.err(`warning: ${warning}`);
      for (const name of report.applied) io.out(`applied ${name}`);
      io.out(
        report.applied.length === 0
          ? `Database is up to date (${report.alreadyApplied} migrations applied, ${db.provider}).`
          : `Applied ${report.applied.length} migration(s); the database is up to date (${db.provider}).`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
