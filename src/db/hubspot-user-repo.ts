// Heed's copy of HubSpot's users with their availability (HubspotUser, UserWorkingHours, UserOutOfOffice).
import type { UserRow } from '../hubspot/map.ts';
import type { Db } from './client.ts';
import { type CursorWrite, writePageWithCursor } from './page-writer.ts';

export class HubspotUserRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Upserts a page of users with their working hours and out-of-office periods (each user's replaced as a whole)
   * and moves the cursor, in one transaction. A row older than the stored copy changes nothing.
   */
  upsertPage(rows: readonly UserRow[], now: number, cursor?: CursorWrite): Promise<{ inserted: string[] }> {
    return writePageWithCursor(this.#db, now, cursor, (tx) => tx.users(rows));
  }
}
