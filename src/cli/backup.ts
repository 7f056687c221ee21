import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { databaseProvider, loadConfig } from '../config.ts';
import { sqlitePath } from '../db/client.ts';
import { AppError } from '../errors.ts';
import type { Command } from './commands.ts';

/**
 * A consistent copy of a live SQLite database through SQLite's online backup API, taken while Heed keeps running.
 */
export async function backupSqlite(sourcePath: string, targetPath: string): Promise<{ pages: number }> {
  if (!existsSync(sourcePath)) {
    throw new AppError('DB_UNREACHABLE', `There is no SQLite database at ${sourcePath}.`, {
      fix: 'check DATABASE_URL',
    });
  }
  const source = new Database(sourcePath, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    // Copy everything in one step: a live Heed writes often, and each write from another connection would
    // restart a page-by-page copy. One step is one short read transaction, so the copy is consistent.
    const result = await source.backup(targetPath, { progress: () => 0x7fffffff });
    return { pages: result.totalPages };
  } finally {
    source.close();
  }
}

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write a consistent copy of the SQLite database to a file, while Heed runs',
  usage: '<file>',
  positionals: { min: 1, max: 1 },
  run: async ({ positionals, io }) => {
    const config = loadConfig();
    const url = config.env.DATABASE_URL;
    if (databaseProvider(url) !== 'sqlite') {
      throw new AppError('USAGE', '`heed backup` copies SQLite databases; this Heed uses PostgreSQL.', {
        fix: 'back PostgreSQL up with pg_dump (or your provider’s snapshots)',
      });
    }
    const target = resolve(positionals[0]!);
    if (existsSync(target)) {
      throw new AppError('USAGE', `${target} already exists.`, {
        fix: 'name a new file; Heed does not overwrite backups',
      });
    }
    const { pages } = await backupSqlite(sqlitePath(url), target);
    io.out(`Backed up ${sqlitePath(url)} to ${target} (${pages} pages).`);
    return 0;
  },
};
