// Counts Heed's posts in the Slack stand-in by the idempotency key each carries in its message metadata, and
// checks them against the outbox's intents: every posting intent in Slack exactly once, nothing unasked for.
import type { Db } from '../../../src/db/client.ts';
import type { FakeSlackServer } from '../../../src/slack/fake-slack-server.ts';
import { HEED_METADATA_EVENT } from '../../../src/slack/outbox.ts';

const POSTING_KINDS = ['post', 'reply', 'escalate', 'dm'];

export type Ledger = {
  /** Posting intents not in Slack exactly once, or not recorded as sent. */
  lost: string[];
  /** Keys found in Slack more than once. */
  duplicated: string[];
  /** Heed posts in Slack that no intent asked for. */
  strays: string[];
  /** Pings and DMs taken back before they were sent (the ticket ended or changed owner first): never in Slack. */
  withdrawn: number;
  intents: number;
  posts: number;
};

export function postsByKey(slack: FakeSlackServer): Map<string, number> {
  const counts = new Map<string, number>();
  for (const channel of slack.channels.values()) {
    for (const message of channel.messages) {
      if (message.metadata?.event_type !== HEED_METADATA_EVENT) continue;
      const key = String(message.metadata.event_payload['key']);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

export async function checkLedger(db: Db, slack: FakeSlackServer): Promise<Ledger> {
  const rows = await db.prisma.outboxMessage.findMany({
    where: { kind: { in: POSTING_KINDS } },
    select: { idempotencyKey: true, state: true },
  });
  const counts = postsByKey(slack);
  // Withdrawn on purpose (SlackRepo whenUnsent): a loss only if it reached Slack after all.
  const withdrawn = rows.filter((r) => r.state === 'superseded' && !counts.has(r.idempotencyKey));
  const lost = rows
    .filter((r) => !withdrawn.includes(r) && (r.state !== 'sent' || counts.get(r.idempotencyKey) !== 1))
    .map((r) => r.idempotencyKey);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([key]) => key);
  const keys = new Set(rows.map((r) => r.idempotencyKey));
  const strays = [...counts.keys()].filter((key) => !keys.has(key));
  let posts = 0;
  for (const n of counts.values()) posts += n;
  return { lost, duplicated, strays, withdrawn: withdrawn.length, intents: rows.length, posts };
}
