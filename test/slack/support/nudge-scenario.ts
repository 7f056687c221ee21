// The HubSpot side most nudge scenarios start from: portal 4242 (UTC) and two owners, Carol and Bob, whom the test
// policies map to Slack users UCAROL and UBOB.
import type { Db } from '../../../src/db/client.ts';
import type { FakeMessage } from '../../../src/slack/fake-slack-server.ts';

export async function seedCarolAndBob(db: Db, at: Date): Promise<void> {
  const prisma = db.prisma;
  await prisma.portal.create({ data: { id: '4242', uiDomain: 'app.hubspot.com', timeZone: 'UTC', updatedAt: at } });
  for (const [id, email, firstName] of [
    ['o-carol', 'carol@example.com', 'Carol'],
    ['o-bob', 'bob@example.com', 'Bob'],
  ] as const) {
    await prisma.owner.create({ data: { id, email, firstName, lastName: 'Agent', type: 'PERSON', updatedAt: at } });
  }
}

/**
 * Every piece of text a person reads in a message: its blocks' text, joined. `withText`: the notification text
 * first; `withValues`: button values too (what a click sends back).
 */
export function shown(
  message: FakeMessage | undefined,
  options: { withText?: boolean; withValues?: boolean } = {},
): string {
  if (!message) return '(no message)';
  const out: string[] = options.withText ? [message.text] : [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'text' || (options.withValues && key === 'value')) && typeof value === 'string') out.push(value);
        else visit(value);
      }
    }
  };
  visit(message.blocks);
  return out.join('\n');
}
