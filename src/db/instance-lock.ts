// One `heed start` per SQLite file. SQLite itself would let a second process open the file and the two would
// then fight over the write lock (and both run every schedule). The lock is a companion file held open with an
// exclusive SQLite lock for the life of the process: the OS releases it when the process dies, even on kill -9.
// The lock is keyed on the file's real path (symlinks and `..` resolved), so `./data/../data/heed.db` or a symlink
// to the same file find the same lock. (A hard link is a second name for the file that no path resolution can
// see; do not run Heed on hard links.)
import { mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors.ts';

export type InstanceLock = { release(): void };

/** The file's real path; for a file not created yet, its folder's real path and its name. */
export function realDatabasePath(databasePath: string): string {
  try {
    return realpathSync(databasePath);
  } catch {
    // Not there yet (first start): the folder exists (made by the caller), the file will be created in it.
    return join(realpathSync(dirname(databasePath)), basename(databasePath));
  }
}

export function acquireSqliteInstanceLock(databasePath: string): InstanceLock | undefined {
  if (databasePath === ':memory:') return undefined;
  mkdirSync(dirname(databasePath), { recursive: true });
  const realPath = realDatabasePath(databasePath);
  const lockPath = `${realPath}.lock`;
  const lock = new Database(lockPath, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in EXCLUSIVE locking mode it is kept until the connection closes.
    lock.exec('CREATE TABLE IF NOT EXISTS heed_instance (pid INTEGER, started_at TEXT)');
    lock.exec('BEGIN EXCLUSIVE');
    lock.prepare('DELETE FROM heed_instance').run();
    lock
      .prepare('INSERT INTO heed_instance (pid, started_at) VALUES (?, ?)')
      .run(process.pid, new Date().toISOString());
    lock.exec('COMMIT');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      const named = realPath === databasePath ? databasePath : `${databasePath} (${realPath})`;
      throw new AppError('DB_LOCKED', `Another Heed process is already running on ${named}.`, {
        fix: 'one process per SQLite file — use PostgreSQL to run replicas (stop the other process, or set DATABASE_URL to postgres://…)',
      });
    }
    throw error;
  }
  return {
    release: () => {
      if (lock.open) lock.close();
    },
  };
}
