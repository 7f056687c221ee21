import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backupSqlite } from '../../src/cli/backup.ts';
import { openDatabase } from '../../src/db/client.ts';

describe('heed backup', () => {
  it('copies a live SQLite database consistently while it is being written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-backup-'));
    const db = await openDatabase(`file:${join(dir, 'heed.db')}`, { migrate: true });
    if (db.provider !== 'sqlite') throw new Error('a file: URL opens SQLite');
    const { sqlite } = db;
    try {
      const insert = sqlite.prepare(
        'INSERT INTO "AuditEntry" (id, at, actor, action, target, source) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const writeBatch = (from: number) =>
        sqlite.transaction(() => {
          for (let i = from; i < from + 500; i++)
            insert.run(`a${i}`, '2026-11-23T09:00:00.000+00:00', 'U1', 'handled', `ticket:${i}`, 'reaction');
        })();
      writeBatch(0);
      // Keep writing while the backup runs: the copy must still be a consistent database.
      let next = 500;
      const writer = setInterval(() => {
        writeBatch(next);
        next += 500;
      }, 1);
      const target = join(dir, 'copy.db');
      const { pages } = await backupSqlite(join(dir, 'heed.db'), target);
      clearInterval(writer);
      expect(pages).toBeGreaterThan(0);
      const copy = new Database(target, { readonly: true });
      const integrity = copy.pragma('integrity_check', { simple: true });
      const count = (copy.prepare('SELECT count(*) AS n FROM "AuditEntry"').get() as { n: number }).n;
      copy.close();
      expect(integrity).toBe('ok');
      expect(count % 500).toBe(0); // whole transactions only
      expect(count).toBeGreaterThanOrEqual(500);
    } finally {
      await db.close();
    }
  });
});
