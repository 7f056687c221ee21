// Heed's copy of the companies (Company) or contacts (Contact) its open tickets belong to, holding only the
// properties the policy's SLA rules name (sla-policy.ts customerProperties): one repository per table, the same
// shape for both. `changedAt` moves only when the stored properties change, so the incremental evaluation re-reads
// a company's open tickets when its tier changes, not each time the sync reads the company again.
import { type Db, pgTransaction, sqliteWrite } from './client.ts';
import { cachedStatement, rawRows } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';

export type CustomerTable = 'Company' | 'Contact';

export interface CustomerRecordWrite {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null>>;
  /** hs_lastmodifieddate (companies) or lastmodifieddate (contacts), epoch ms. */
  readonly modifiedAt: number;
}

/** Properties as stored: keys sorted, so the same values always give the same text (and no false change). */
export function propertiesJson(properties: Readonly<Record<string, string | null>>): string {
  const sorted: Record<string, string | null> = {};
  for (const key of Object.keys(properties).sort()) sorted[key] = properties[key] ?? null;
  return JSON.stringify(sorted);
}

/** The ticket column that names a record of the table. */
const TICKET_COLUMN: Record<CustomerTable, string> = { Company: 'companyId', Contact: 'contactId' };
const CHUNK = 500;

export class CustomerRecordRepo {
  readonly #db: Db;
  readonly #table: CustomerTable;

  constructor(db: Db, table: CustomerTable) {
    this.#db = db;
    this.#table = table;
  }

  /**
   * Inserts or updates records; `changedAt` is set to `now` for new records and for those whose properties
   * differ from the stored ones. Returns how many changed.
   */
  async upsert(records: readonly CustomerRecordWrite[], now: number): Promise<number> {
    if (records.length === 0) return 0;
    const t = `"${this.#table}"`;
    const ids = records.map((r) => r.id);
    const before = await this.#storedProperties(ids);
    const changed = records.filter((r) => before.get(r.id) !== propertiesJson(r.properties)).length;
    const upsert =
      `INSERT INTO ${t} ("id", "properties", "modifiedAt", "syncedAt", "changedAt") VALUES (?, ?, ?, ?, ?) ` +
      `ON CONFLICT ("id") DO UPDATE SET "properties" = excluded."properties", "modifiedAt" = excluded."modifiedAt", ` +
      `"syncedAt" = excluded."syncedAt", "changedAt" = CASE WHEN ${t}."properties" = excluded."properties" ` +
      `THEN ${t}."changedAt" ELSE excluded."changedAt" END`;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const statement = cachedStatement(db.sqlite, upsert);
      await sqliteWrite(db.sqlite, () => {
        for (const r of records) {
          statement.run(r.id, propertiesJson(r.properties), sqliteDate(r.modifiedAt), sqliteDate(now), sqliteDate(now));
        }
      });
      return changed;
    }
    let index = 0;
    const pgSql = upsert.replace(/\?/g, () => `$${++index}`);
    await pgTransaction(db.pg, async (client) => {
      for (const r of records) {
        const at = new Date(now).toISOString();
        await client.query(pgSql, [r.id, propertiesJson(r.properties), new Date(r.modifiedAt).toISOString(), at, at]);
      }
    });
    return changed;
  }

  /** Every stored record's id. */
  async ids(): Promise<string[]> {
    const rows = await rawRows(this.#db, `SELECT "id" FROM "${this.#table}" ORDER BY "id"`);
    return rows.map((r) => String(r[0]));
  }

  /** Which of `ids` are stored. */
  async known(ids: readonly string[]): Promise<Set<string>> {
    return new Set((await this.#storedProperties(ids)).keys());
  }

  /** The stored properties of these records (parsed), by id. */
  async properties(ids: readonly string[]): Promise<Map<string, Record<string, string | null>>> {
    const out = new Map<string, Record<string, string | null>>();
    for (const [id, json] of await this.#storedProperties(ids)) out.set(id, JSON.parse(json));
    return out;
  }

  /** Records open tickets name that are not stored yet (the sync reads them), at most `limit`. */
  async missingForOpenTickets(limit: number): Promise<string[]> {
    const column = TICKET_COLUMN[this.#table];
    const rows = await rawRows(
      this.#db,
      `SELECT DISTINCT t."${column}" FROM "Ticket" t LEFT JOIN "${this.#table}" r ON r."id" = t."${column}"
        WHERE t."archived" = false AND t."isClosed" = false AND t."${column}" IS NOT NULL AND t."${column}" <> ''
          AND r."id" IS NULL
        ORDER BY t."${column}" LIMIT ?`,
      [limit],
    );
    return rows.map((r) => String(r[0]));
  }

  async #storedProperties(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows = await rawRows(
        this.#db,
        `SELECT "id", "properties" FROM "${this.#table}" WHERE "id" IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const r of rows) out.set(String(r[0]), String(r[1]));
    }
    return out;
  }
}
