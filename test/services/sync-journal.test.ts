// Real time without a public URL: the webhooks journal. Heed sets up its subscriptions, applies creation, changes,
// deletion and feedback; resumes from its stored offset after a restart (nothing re-read, nothing missed); catches up
// after an outage within the journal's 3 days; beyond them falls back to the incremental search and says so (log
// and `heed status`), then reads the journal again.
import { afterEach, describe, expect, it } from 'vitest';
import { OBJECT_TYPE_IDS } from '../../src/hubspot/api-version.ts';
import { TICKET_PROPERTIES } from '../../src/hubspot/map.ts';
import { collectStatus, renderStatusText } from '../../src/ops/status.ts';
import { JOURNAL_CURSOR, parseJournalState } from '../../src/services/sync-journal.ts';
import { compareTickets } from '../faults/support/compare.ts';
import { capturingLogger, type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

const DAY = 86_400_000;

describe.each(testProviders())('the webhooks journal on %s', (provider) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const fileDownloads = (harness: Harness) =>
    [...harness.sim.counts].filter(([key]) => key.startsWith('GET /journal-files/')).reduce((n, [, c]) => n + c, 0);
  const searches = (harness: Harness) =>
    [...harness.sim.counts].filter(([key]) => key.endsWith('/search')).reduce((n, [, c]) => n + c, 0);

  it('sets up its subscriptions, then applies created, changed and deleted tickets and new feedback', async () => {
    h = await startHarness(provider);
    await h.service.run();
    const reader = h.journal();
    expect(await reader.readOnce()).toMatchObject({ entries: 0 });
    const subscriptions = h.sim.journal!.subscriptions;
    expect(subscriptions.map((s) => s.objectTypeId).sort()).toEqual(
      [OBJECT_TYPE_IDS.tickets, OBJECT_TYPE_IDS.feedback_submissions].sort(),
    );
    const tickets = subscriptions.find((s) => s.objectTypeId === OBJECT_TYPE_IDS.tickets)!;
    expect(tickets.actions).toEqual(expect.arrayContaining(['CREATE', 'UPDATE', 'DELETE']));
    expect(tickets.properties).toEqual([...TICKET_PROPERTIES]);

    h.clock.advance(1000);
    const now = h.clock.now().getTime();
    const changed = h.sim.portal.touchTickets(120, now - 10);
    const created = h.sim.portal.createTickets(5, now - 5);
    const deleted = h.sim.portal.ticketId(changed.length > 0 ? 250 : 0);
    h.sim.portal.archiveTicket(deleted, now - 2);
    const feedbackId = h.sim.portal.addFeedback({ ticketId: created[0]!, type: 'CSAT', value: 1 }, now - 1);
    h.sim.resetCounts();

    const result = await reader.readOnce();
    // 120 changes make two entries (100 events each at most), then one each for the rest.
    expect(result).toMatchObject({ entries: 5, ticketsArchived: 1, feedbackFetched: 1, fellBack: false });
    expect(result.ticketsFetched).toBe(new Set([...changed, ...created].filter((id) => id !== deleted)).size);
    expect(fileDownloads(h)).toBe(5);
    // No search was needed: the journal named the records, batch reads fetched them.
    expect(searches(h)).toBe(0);
    expect(h.sim.counts.get('POST /crm/objects/2026-09/tickets/batch/read')).toBe(2);
    const comparison = await compareTickets(h.sim.portal, h.db);
    expect(comparison).toMatchObject({ lost: [], duplicated: [], stale: [] });
    expect((await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: deleted } })).archived).toBe(true);
    const answer = await h.db.prisma.feedbackSubmission.findUniqueOrThrow({ where: { id: feedbackId } });
    expect(answer).toMatchObject({ surveyType: 'CSAT', value: 1, ticketId: created[0] });
    expect(await reader.readOnce()).toMatchObject({ entries: 0 });
  });

  it('resumes from the stored offset after a restart: nothing re-read, nothing missed', async () => {
    h = await startHarness(provider);
    await h.service.run();
    await h.journal().readOnce();
    h.clock.advance(1000);
    h.sim.portal.touchTickets(30, h.clock.now().getTime());
    await h.journal().readOnce();
    const before = parseJournalState(await h.repos.cursors.get(JOURNAL_CURSOR))!;
    expect(before.entries).toBe(1);
    // A new process: a new reader, the same database.
    h.clock.advance(1000);
    const later = h.sim.portal.touchTickets(12, h.clock.now().getTime(), { seed: 99 });
    h.sim.resetCounts();
    const result = await h.journal().readOnce();
    expect(result.entries).toBe(1);
    expect(fileDownloads(h)).toBe(1);
    expect(result.ticketsFetched).toBe(later.length);
    expect((await compareTickets(h.sim.portal, h.db)).lost).toEqual([]);
  });

  it('an entry applied twice (a crash between its writes and the cursor) changes nothing the second time', async () => {
    h = await startHarness(provider);
    await h.service.run();
    await h.journal().readOnce();
    h.clock.advance(1000);
    const ids = h.sim.portal.touchTickets(40, h.clock.now().getTime());
    h.sim.portal.moveTicket(ids[0]!, 3, h.clock.now().getTime());
    // The first reader dies after applying, before its cursor write.
    const crashing = h.journal();
    const cursors = h.repos.cursors;
    const original = cursors.compareAndSet.bind(cursors);
    cursors.compareAndSet = async () => {
      throw new Error('killed before the cursor write');
    };
    await expect(crashing.readOnce()).rejects.toThrow('killed');
    cursors.compareAndSet = original;
    const periodsAfterCrash = await h.db.prisma.ticketStagePeriod.count();
    const again = await h.journal().readOnce();
    expect(again.entries).toBe(2);
    expect(await h.db.prisma.ticketStagePeriod.count()).toBe(periodsAfterCrash);
    expect(await compareTickets(h.sim.portal, h.db)).toMatchObject({ lost: [], duplicated: [] });
  });

  it('catches up after an outage within the journal’s history (2 days of changes, many entries)', async () => {
    h = await startHarness(provider);
    await h.service.run();
    await h.journal({ options: { batchSize: 10 } }).readOnce();
    // Heed is down for two days while agents work.
    for (let hour = 0; hour < 48; hour++) {
      h.clock.advance(3_600_000);
      h.sim.portal.touchTickets(7, h.clock.now().getTime(), { seed: hour + 1 });
      if (hour % 12 === 0) h.sim.portal.createTickets(2, h.clock.now().getTime());
    }
    const result = await h.journal({ options: { batchSize: 10 } }).readOnce();
    expect(result.fellBack).toBe(false);
    expect(result.entries).toBe(48 + 4);
    expect(await compareTickets(h.sim.portal, h.db)).toMatchObject({ lost: [], duplicated: [] });
  });

  it('beyond the journal’s 3 days it falls back to the search, says so, and then reads the journal again', async () => {
    const log = capturingLogger();
    h = await startHarness(provider, { logger: log.logger });
    await h.service.run();
    const reader = h.journal();
    await reader.readOnce();
    h.clock.advance(1000);
    h.sim.portal.touchTickets(20, h.clock.now().getTime());
    await reader.readOnce();
    // Down for 4 days: what happened in the first of them is gone from the journal.
    h.clock.advance(DAY / 2);
    const early = h.sim.portal.touchTickets(25, h.clock.now().getTime(), { seed: 5 });
    h.clock.advance(3.5 * DAY);
    const late = h.sim.portal.touchTickets(15, h.clock.now().getTime(), { seed: 6 });
    h.sim.resetCounts();
    const result = await h.journal().readOnce();
    expect(result.fellBack).toBe(true);
    // The search caught up with everything, the early changes the journal no longer had included.
    expect(searches(h)).toBeGreaterThan(0);
    expect(await compareTickets(h.sim.portal, h.db)).toMatchObject({ lost: [], duplicated: [] });
    for (const id of [...early, ...late]) {
      const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
      expect(row.modifiedAt.getTime()).toBe(h.sim.portal.t.modifiedAt[h.sim.portal.ticketIndex(id)!]);
    }
    const warning = log.lines().find((l) => String(l['msg']).startsWith('Webhooks journal: the journal no longer has'));
    expect(warning?.['level']).toBe(40);
    expect(String(warning?.['msg'])).toContain('HubSpot keeps 3 days of history; the last entry was applied');
    expect(String(warning?.['msg'])).toContain(
      'Catching up through the incremental search, then reading the journal from its newest entry.',
    );
    const state = parseJournalState(await h.repos.cursors.get(JOURNAL_CURSOR))!;
    expect(state.mode).toBe('journal');
    expect(state.fallback?.caughtUpAt).toBeGreaterThanOrEqual(state.fallback!.at);
    const status = renderStatusText(
      await collectStatus(
        { db: h.db, config: { policy: { teams: [], calendars: {} } } },
        new Date(h.clock.now().getTime()),
      ),
    );
    expect(status).toMatch(
      /Webhooks journal: reading; 1 entry applied, last \d+ h ago; fell back to the search just now \(the journal no longer has the entry after offset /,
    );
    expect(status).toContain(', caught up just now');
    // And on it goes through the journal.
    h.clock.advance(1000);
    const after = h.sim.portal.touchTickets(9, h.clock.now().getTime(), { seed: 7 });
    h.sim.resetCounts();
    const next = await h.journal().readOnce();
    expect(next).toMatchObject({ entries: 1, fellBack: false, ticketsFetched: after.length });
    expect(searches(h)).toBe(0);
  });

  it('where the journal does not offer feedback it says so once; tickets still come through it', async () => {
    const log = capturingLogger();
    h = await startHarness(provider, {
      logger: log.logger,
      sim: { journal: { objectTypes: [OBJECT_TYPE_IDS.tickets] } },
    });
    await h.service.run();
    const reader = h.journal();
    await reader.readOnce();
    h.clock.advance(1000);
    h.sim.portal.touchTickets(3, h.clock.now().getTime());
    h.sim.portal.addFeedback({ ticketId: h.sim.portal.ticketId(1), type: 'NPS', value: 2 }, h.clock.now().getTime());
    const result = await reader.readOnce();
    expect(result).toMatchObject({ entries: 1, ticketsFetched: 3, feedbackFetched: 0 });
    const refusals = log.lines().filter((l) => String(l['msg']).includes('does not offer feedback'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!['msg']).toBe(
      'HubSpot’s webhooks journal does not offer feedback submissions here; feedback keeps coming by polling',
    );
  });

  it('a download URL that expired is asked for again (batch/read), and the entry applied', async () => {
    h = await startHarness(provider);
    await h.service.run();
    let spoiled = 0;
    const reader = h.journal({
      options: {
        fetch: (input, init) => {
          const url = new URL(String(input));
          // The first file URL arrives past its expiry.
          if (url.pathname.startsWith('/journal-files/') && spoiled++ === 0) url.searchParams.set('expires', '1');
          return fetch(url, init);
        },
      },
    });
    await reader.readOnce();
    h.clock.advance(1000);
    const ids = h.sim.portal.touchTickets(4, h.clock.now().getTime());
    const result = await reader.readOnce();
    expect(result.ticketsFetched).toBe(ids.length);
    expect(h.sim.counts.get('POST /webhooks-journal/journal-local/2026-03/batch/read')).toBe(1);
    expect(h.sim.statuses.get(403)).toBe(1);
  });

  it('a reader holding a stale position stops instead of moving the position back', async () => {
    h = await startHarness(provider);
    await h.service.run();
    await h.journal().readOnce();
    const stale = await h.repos.cursors.get(JOURNAL_CURSOR);
    h.clock.advance(1000);
    h.sim.portal.touchTickets(5, h.clock.now().getTime());
    await h.journal().readOnce();
    const current = await h.repos.cursors.get(JOURNAL_CURSOR);
    expect(current).not.toBe(stale);
    // A replica that lost its lease and still believes the old position.
    const cursors = h.repos.cursors;
    const staleCursors = {
      get: async (name: string) => (name === JOURNAL_CURSOR ? stale : cursors.get(name)),
      compareAndSet: cursors.compareAndSet.bind(cursors),
    };
    const { JournalReader } = await import('../../src/services/sync-journal.ts');
    const laggard = new JournalReader({
      ...(h.journal() as unknown as { deps: ConstructorParameters<typeof JournalReader>[0] }).deps,
      repos: { ...h.repos, cursors: staleCursors },
    });
    const result = await laggard.readOnce();
    expect(result.lostRace).toBe(true);
    expect(await h.repos.cursors.get(JOURNAL_CURSOR)).toBe(current);
  });

  it('runs as a scheduled job: reads, polls, and stops at the end of its window or when aborted', async () => {
    h = await startHarness(provider);
    await h.service.run();
    const { journalJob } = await import('../../src/services/sync-journal.ts');
    const job = journalJob(h.journal({ options: { pollMs: 10 } }), { windowMs: 200 });
    expect(job).toMatchObject({ name: 'journal', schedule: { kind: 'every', minutes: 1 } });
    const started = Date.now();
    await job.run({ signal: new AbortController().signal } as never);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(parseJournalState(await h.repos.cursors.get(JOURNAL_CURSOR))).toMatchObject({ mode: 'journal', entries: 0 });
    const aborted = new AbortController();
    aborted.abort();
    await job.run({ signal: aborted.signal } as never);
  });

  it('gets a new client-credentials token when the old one expires', async () => {
    h = await startHarness(provider);
    await h.service.run();
    const reader = h.journal();
    await reader.readOnce();
    expect(h.sim.counts.get('POST /oauth/2026-03/token')).toBe(1);
    h.clock.advance(31 * 60_000);
    h.sim.portal.touchTickets(2, h.clock.now().getTime());
    expect((await reader.readOnce()).ticketsFetched).toBe(2);
    expect(h.sim.counts.get('POST /oauth/2026-03/token')).toBe(2);
  });
});
