// The HubSpot side most nudge scenarios start from: portal 4242 (UTC) and two owners, Carol and Bob, whom the test
// policies map to Slack users UCAROL and UBOB.
import type { Db } from '../../../src/db/client.ts';

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
