// Reaction and button races across replicas: two real Heed Slack apps on one database (PostgreSQL: each with its
// own connections, as two processes would have; SQLite: one connection, as one process is all SQLite allows),
// one Slack. Each trial is one ticket: Bob toggles "handled" a few times within microseconds (✅ added and
// removed, Handled and Undo pressed), Dave toggles 👀; Slack delivers every act at once to a random replica in
// a random order. The flag must end as Slack's order says: handled iff Bob's last act was "handle", claimed by
// Dave iff his last was "claim". Shared by the regular suite and the fault suite's table.
import { reconcileNudges } from '../../../src/slack/reconcile-nudges.ts';
import type { Prng } from '../../faults/support/prng.ts';
import type { TestProvider } from '../../support/db.ts';
import { type Harness, MONDAY_10, startHarness } from './harness.ts';
import { seedOwner, seedPortal, seedTicketFlag } from './seed.ts';

const HOUR = 3_600_000;

type Act = {
  user: string;
  action: 'handle' | 'unhandle' | 'claim' | 'unclaim';
  via: 'reaction' | 'button';
  slackTs: string;
};

export type RaceTrial = { ticket: string; acts: number; inOrder: boolean; expected: string; got: string };

export type RaceReport = { trials: number; inOrder: number; acts: number; failures: RaceTrial[] };

/** Toggles starting with `on`: on, off, on, … `count` long. */
function toggles(count: number, on: Act['action'], off: Act['action']): Act['action'][] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? on : off));
}

export async function runReactionRaces(provider: TestProvider, trials: number, random: Prng): Promise<RaceReport> {
  const first = await startHarness(provider);
  let second: Harness | undefined;
  const report: RaceReport = { trials: 0, inOrder: 0, acts: 0, failures: [] };
  try {
    second = await startHarness(provider, { replicaOf: first });
    const replicas = [first, second];
    await seedPortal(first.db.prisma);
    await seedOwner(first.db.prisma, 'o-carol', 'carol@example.com', 'Carol');
    for (let trial = 0; trial < trials; trial++) {
      const ticket = String(5000 + trial);
      const key = await seedTicketFlag(
        first.db.prisma,
        {
          id: ticket,
          ownerId: 'o-carol',
          startedAt: new Date(MONDAY_10.getTime() - 3 * HOUR),
          dueAt: new Date(MONDAY_10.getTime() + HOUR),
        },
        MONDAY_10,
      );
      await reconcileNudges(first.nudgeDeps, first.clock.now(), [key]);
      const nudge = (await first.repo.nudgeByFlagKey(key))!;
      // The nudge as if posted (the outbox is not what this scenario is about).
      const ts = `${1772400000 + trial}.000100`;
      await first.db.prisma.nudge.update({ where: { id: nudge.id }, data: { ts } });

      // Slack's order: Bob's 2–4 toggles of "handled" and Dave's 0–2 of "claimed", interleaved, microseconds apart.
      const bob = toggles(random.int(2, 5), 'handle', 'unhandle');
      const dave = toggles(random.int(0, 3), 'claim', 'unclaim');
      const order: { user: string; action: Act['action'] }[] = [];
      let b = 0;
      let d = 0;
      while (b < bob.length || d < dave.length) {
        if (d >= dave.length || (b < bob.length && random.next() < 0.6))
          order.push({ user: 'UBOB', action: bob[b++]! });
        else order.push({ user: 'UDAVE', action: dave[d++]! });
      }
      let micros = 1000;
      const acts: Act[] = order.map((o) => {
        micros += random.int(1, 300);
        return {
          ...o,
          // Dave reacts; Bob uses ✅ or the buttons, whichever.
          via: o.user === 'UBOB' && random.next() < 0.5 ? 'button' : 'reaction',
          slackTs: `${1772445600 + trial}.${String(micros).padStart(6, '0')}`,
        };
      });
      const lastBob = acts.filter((a) => a.user === 'UBOB').at(-1)!;
      const lastDave = acts.filter((a) => a.user === 'UDAVE').at(-1);
      const expected = `handled=${lastBob.action === 'handle' ? 'UBOB' : '-'} claimed=${lastDave?.action === 'claim' ? 'UDAVE' : '-'}`;

      // Delivered all at once, in a random order, each to a random replica.
      const arrival = [...acts].sort(() => random.next() - 0.5);
      const deliveries = arrival.map((act) => {
        const to = replicas[random.int(0, replicas.length)]!;
        const wait = random.int(0, 3);
        return new Promise((resolveWait) => setTimeout(resolveWait, wait)).then(() => deliver(to, act, key, ts));
      });
      const statuses = await Promise.all(deliveries);
      const flag = (await first.repo.flag(key))!;
      const got = `handled=${flag.handledBy ?? '-'} claimed=${flag.claimedBy ?? '-'}`;
      const consistent =
        (flag.handledBy === null) === (flag.state !== 'handled') && statuses.every((status) => status === 200);
      const inOrder = got === expected && consistent;
      report.trials += 1;
      report.acts += acts.length;
      if (inOrder) report.inOrder += 1;
      else
        report.failures.push({
          ticket,
          acts: acts.length,
          inOrder,
          expected,
          got: `${got} state=${flag.state} statuses=${statuses.join(',')}`,
        });
    }
    return report;
  } finally {
    await second?.close();
    await first.close();
  }
}

async function deliver(h: Harness, act: Act, key: string, nudgeTs: string): Promise<number> {
  if (act.via === 'button') {
    const res = await h.action({
      user: act.user,
      channel: 'CSUPPORT',
      messageTs: nudgeTs,
      actionId: act.action === 'handle' ? 'nudge_handled' : 'nudge_unhandled',
      value: key,
      actionTs: act.slackTs,
    });
    return res.status;
  }
  const res = await h.event({
    type: act.action === 'handle' || act.action === 'claim' ? 'reaction_added' : 'reaction_removed',
    user: act.user,
    reaction: act.action.endsWith('claim') ? 'eyes' : 'white_check_mark',
    item_user: 'UHEEDBOT',
    item: { type: 'message', channel: 'CSUPPORT', ts: nudgeTs },
    event_ts: act.slackTs,
  });
  return res.status;
}
