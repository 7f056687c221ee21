// Customer-written text in every field a customer (or HubSpot) controls, through every kind of message Heed
// sends: nudges in every state, thread pings, owner DMs, escalations, digests and weekly reports, /unanswered,
// /slow, /heed whois and status, the App Home, ephemeral notes and errors. Nothing of it may survive as
// mrkdwn markup (a mention, a link, a broadcast) or as a control character, in `text` or in any block, and
// every Block Kit limit holds. The terminal renderings (heed check, digest --dry-run, demo) carry no escape
// sequences. Pure renderers first (every payload × every kind), then the running app end to end.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTable } from '../../src/cli/check.ts';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import { computeDigest, type TDigestInput } from '../../src/domain/digest.ts';
import type { TDigestClock, TDigestFeedback, TDigestTicket } from '../../src/domain/digest-stats.ts';
import { ticketFlagKey } from '../../src/domain/flag.ts';
import type { LiveClock, LiveFeedback } from '../../src/services/evaluate.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import type { RenderedMessage } from '../../src/slack/render/blocks.ts';
import { renderDigest } from '../../src/slack/render/digest.ts';
import { renderDigestText } from '../../src/slack/render/digest-text.ts';
import {
  type NudgeView,
  renderEscalationPost,
  renderEscalationReply,
  renderNudge,
  renderOwnerDm,
} from '../../src/slack/render/nudge.ts';
import { type QueueItem, renderHome, renderQueuePage, renderSlow } from '../../src/slack/render/queue.ts';
import { renderStatus, renderUsage, renderWhois } from '../../src/slack/render/replies.ts';
import { renderMessageLines, terminalStyle } from '../../src/slack/render/terminal.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, MONDAY_10, startHarness } from './support/harness.ts';
import { type Allowed, HOSTILE, payloadProblems, terminalProblems } from './support/hostile.ts';
import { seedOwner, seedPortal } from './support/seed.ts';

const HOUR = 3_600_000;
const AT = MONDAY_10;
const HUBSPOT = 'https://app.hubspot.com/contacts/4242/record/';
const ALLOWED: Allowed = {
  users: new Set(['UCAROL', 'UBOB', 'UALICE', 'ULEAD']),
  channels: new Set(['CSUPPORT', 'CBILLING', 'CESCALATE']),
  urls: [HUBSPOT, 'https://heed.invalid/', 'https://fake.slack.test/'],
};

function problemsOf(message: RenderedMessage | { type: 'home'; blocks: unknown[] }, where: string): string[] {
  return payloadProblems(message as unknown as Record<string, unknown>, where, ALLOWED);
}

// ------------------------------------------------------------------------------------------ pure renderers

function nudgeViews(h: string): [string, NudgeView][] {
  const base: NudgeView = {
    flagKey: 'ticket:101:firstResponse:0',
    kind: 'ticket',
    state: 'at_risk',
    clock: 'firstResponse',
    priority: h,
    customer: `${h} (${h})`,
    subject: h,
    hubspotUrl: `${HUBSPOT}0-5/101`,
    owner: { name: h },
    waitedBusinessMinutes: 185,
    waitedWallMinutes: 200,
    asOf: AT,
    dueAt: new Date(AT.getTime() + HOUR),
    overdueBusinessMinutes: 0,
  };
  const feedback = { surveyType: h, score: 2, comment: h };
  return [
    ['at risk', base],
    ['at risk, owner in Slack', { ...base, owner: { name: h, slackUserId: 'UCAROL' } }],
    ['breached', { ...base, state: 'breached', overdueBusinessMinutes: 95 }],
    ['likely to breach (predicted)', { ...base, state: 'predicted' }],
    ['likely to breach, unassigned', { ...base, state: 'predicted', owner: undefined }],
    ['answered', { ...base, state: 'resolved', resolvedAt: AT }],
    ['resolved', { ...base, clock: 'resolution', state: 'resolved', resolvedAt: AT }],
    ['handled', { ...base, state: 'handled', handledBy: 'UBOB', handledAt: AT }],
    ['claimed and snoozed', { ...base, claimedBy: 'UBOB', snoozedBy: 'UBOB', snoozedUntil: AT }],
    ['no owner, no due, no priority', { ...base, owner: undefined, dueAt: undefined, priority: undefined }],
    ['a link built from a hostile portal domain', { ...base, hubspotUrl: `https://${h}/contacts/1` }],
    ['the customer’s words quoted', { ...base, customerSaid: { text: `${h}\n${h}`, at: AT } }],
    ['feedback pending', { ...base, kind: 'feedback', clock: undefined, state: 'pending', feedback }],
    [
      'feedback overdue',
      { ...base, kind: 'feedback', clock: undefined, state: 'overdue', overdueBusinessMinutes: 30, feedback },
    ],
    ['feedback followed up', { ...base, kind: 'feedback', clock: undefined, state: 'resolved', feedback }],
  ];
}

function queueItem(h: string, i: number): QueueItem {
  return {
    flagKey: ticketFlagKey(String(i), 'firstResponse', 0),
    kind: i % 3 === 2 ? 'feedback' : 'ticket',
    state: (['breached', 'at_risk', 'overdue', 'running', 'handled'] as const)[i % 5]!,
    clock: i % 3 === 2 ? undefined : 'firstResponse',
    subject: h,
    customer: h,
    hubspotUrl: i % 4 === 3 ? `https://${h}/x` : `${HUBSPOT}0-5/${i}`,
    owner: i % 2 ? { name: h } : { name: h, slackUserId: 'UCAROL' },
    waitedBusinessMinutes: 60 * i,
    dueAt: new Date(AT.getTime() - i * HOUR),
    overdueBusinessMinutes: 30 * i,
    claimedBy: i % 2 ? 'UBOB' : undefined,
    customerSaid: i % 3 === 2 ? undefined : { text: `${h}\n${h}`, at: AT },
  };
}

const calendar = createBusinessCalendar({
  timezone: 'UTC',
  hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']] as const])),
});
const DIGEST_NOW = new Date('2026-11-25T10:00:00Z');

function digestInput(h: string, kind: 'daily' | 'weekly'): TDigestInput {
  const tickets: TDigestTicket[] = Array.from({ length: 12 }, (_, i) => ({
    id: `T${i}`,
    subject: h,
    ownerId: i % 2 ? 'o1' : 'o2',
    priority: h,
    category: h || null,
    source: h || null,
    stageId: null,
    customer: h,
    url: i % 3 ? `${HUBSPOT}0-5/T${i}` : `https://${h}/x`,
    createdAt: new Date(DIGEST_NOW.getTime() - (20 + i) * HOUR),
    closedAt: i % 4 === 0 ? new Date(DIGEST_NOW.getTime() - 18 * HOUR) : null,
    isClosed: i % 4 === 0,
    firstAgentReplyAt: i % 4 === 0 ? new Date(DIGEST_NOW.getTime() - 19 * HOUR) : null,
    lastCustomerMessageAt: null,
    lastAgentMessageAt: null,
  }));
  // Silent tickets (nobody moved them for days) in stages whose HubSpot labels are hostile too.
  for (let i = 0; i < 3; i++) {
    tickets.push({
      ...tickets[1]!,
      id: `S${i}`,
      stageId: `stage-${i}`,
      createdAt: new Date(DIGEST_NOW.getTime() - (10 * 24 + i) * HOUR),
    });
  }
  const clocks: TDigestClock[] = tickets
    .filter((t) => !t.isClosed)
    .map((t, i) => ({
      ticketId: t.id,
      clock: 'firstResponse',
      state: i % 2 ? 'breached' : 'at_risk',
      dueAt: new Date(DIGEST_NOW.getTime() + (i - 4) * HOUR),
      completedAt: null,
      overdueMinutes: i % 2 ? 60 * i : 0,
    }));
  // Calm clocks likely to breach (predicted flags): the digest's "likely to breach" list.
  for (const id of ['S0', 'S1']) {
    clocks.push({
      ticketId: id,
      clock: 'firstResponse',
      state: 'running',
      dueAt: new Date(DIGEST_NOW.getTime() + 3 * HOUR),
      completedAt: null,
      overdueMinutes: 0,
      predicted: true,
    });
  }
  const feedback: TDigestFeedback[] = Array.from({ length: 8 }, (_, i) => ({
    id: `F${i}`,
    surveyType: i % 2 ? 'NPS' : h,
    value: 1,
    content: h,
    submittedAt: new Date(DIGEST_NOW.getTime() - (10 + i) * HOUR),
    contact: h,
    ticketId: null,
    followUp: { state: i % 2 ? 'pending' : 'overdue', dueAt: new Date(DIGEST_NOW.getTime() + HOUR) },
  }));
  return {
    team: 'support',
    kind,
    tickets,
    clocks,
    feedback,
    owners: [
      { id: 'o1', name: h, slackUserId: null },
      { id: 'o2', name: h, slackUserId: 'UCAROL' },
    ],
    storedStats: [],
    thresholds: { NPS: { atMost: 6 }, CSAT: { atMost: 2 }, CES: { atMost: 3 }, commentsCount: true },
    waitingStageIds: [],
    stageLabels: new Map([0, 1, 2].map((i) => [`stage-${i}`, h])),
  } as TDigestInput;
}

function everyMessage(h: string): [string, RenderedMessage | { type: 'home'; blocks: unknown[] }][] {
  const out: [string, RenderedMessage | { type: 'home'; blocks: unknown[] }][] = [];
  for (const [state, view] of nudgeViews(h)) {
    out.push(
      [`nudge (${state})`, renderNudge(view)],
      [`thread ping (${state})`, renderEscalationReply(view)],
      [`owner DM (${state})`, renderOwnerDm(view)],
      [`escalation (${state})`, renderEscalationPost(view, 'support')],
    );
  }
  const items = Array.from({ length: 25 }, (_, i) => queueItem(h, i));
  out.push(
    [
      '/unanswered',
      renderQueuePage({
        title: `Waiting for a reply from ${h}`,
        items: items.slice(0, 20),
        total: 25,
        offset: 0,
        emptyText: 'nothing',
        moreValue: JSON.stringify({ s: { kind: 'team', team: 'support' }, o: 20 }),
      }),
    ],
    [
      '/unanswered (empty)',
      renderQueuePage({ title: `Waiting for a reply from ${h}`, items: [], total: 0, offset: 0, emptyText: 'nothing' }),
    ],
    [
      '/slow',
      renderSlow(
        'At risk and breached — all teams',
        [
          { clock: 'firstResponse', items: items.slice(0, 10), total: 25, breached: 20 },
          { clock: 'nextResponse', items: items.slice(10, 13), total: 3, breached: 1 },
          { clock: 'resolution', items: [], total: 0, breached: 0 },
        ],
        'nothing',
      ),
    ],
    [
      '/heed whois',
      renderWhois({
        ticketId: '101',
        subject: h,
        customer: h,
        hubspotUrl: `https://${h}/x`,
        owner: { name: h },
        team: 'support',
        priority: h,
        state: { kind: 'closed', since: AT },
        customerSaid: { text: `${h}\n${h}`, at: AT },
        flags: [
          { clock: 'firstResponse', kind: 'ticket', state: 'breached', overdueBusinessMinutes: 5, claimedBy: 'UBOB' },
          { kind: 'feedback', state: 'pending', dueAt: AT, overdueBusinessMinutes: 0, snoozedUntil: AT },
        ],
      }),
    ],
    [
      '/heed status',
      renderStatus({
        lastSync: { kind: h, status: h, startedAt: AT },
        pendingWebhooks: 1,
        outboxPending: 2,
        teams: [{ team: 'support', open: 3, atRisk: 1, breached: 1, feedback: 1 }],
      }),
    ],
    ['usage error echoing what was typed', renderUsage('/unanswered', `"${h}" is not a team I know.`)],
    [
      'App Home',
      renderHome({
        myQueue: items.slice(0, 20),
        myQueueTotal: 25,
        mapped: true,
        teams: [{ team: 'support', open: 1, atRisk: 1, breached: 0, metToday: 1, missedToday: 0 }],
        asOf: AT,
      }),
    ],
  );
  for (const kind of ['daily', 'weekly'] as const) {
    const model = computeDigest(digestInput(h, kind), DIGEST_NOW, calendar);
    renderDigest(model, { late: { scheduledFor: DIGEST_NOW } }).forEach((m, i) => {
      out.push([`${kind} digest part ${i + 1}`, m]);
    });
  }
  return out;
}

describe.each(Object.entries(HOSTILE))('hostile text (%s) through every renderer', (_name, h) => {
  it('leaves no markup, no control characters and no broken limit in any message', () => {
    const problems = everyMessage(h).flatMap(([kind, message]) => problemsOf(message, kind));
    expect(problems).toEqual([]);
  });

  it('lists the tickets likely to breach in the digest', () => {
    const model = computeDigest(digestInput(h, 'daily'), DIGEST_NOW, calendar);
    expect(model.likely.map((l) => l.ticketId)).toEqual(['S0', 'S1']);
    const blocks = renderDigest(model).flatMap((m) => m.blocks);
    expect(blocks.filter((b) => b.block_id?.startsWith('digest_likely'))).not.toHaveLength(0);
  });

  it('lists the silent tickets, whose stage labels come from HubSpot too', () => {
    const model = computeDigest(digestInput(h, 'daily'), DIGEST_NOW, calendar);
    expect(model.silent.items.map((s) => s.ticketId)).toEqual(['S2', 'S1', 'S0']);
    const blocks = renderDigest(model).flatMap((m) => m.blocks);
    expect(blocks.filter((b) => b.block_id?.startsWith('digest_silent'))).not.toHaveLength(0);
  });

  it('shows the text escaped, not dropped', () => {
    if (!h.includes('<!channel>')) return;
    const nudge = renderNudge(nudgeViews(h)[0]![1]);
    expect(nudge.text).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(nudge.blocks)).toContain('&lt;!channel&gt;');
  });

  it('prints no escape sequence on a terminal (heed check, digest --dry-run, demo)', () => {
    const clocks: LiveClock[] = [
      {
        ticketId: '1',
        team: 'support',
        ownerId: h,
        ownerEmail: h,
        policy: 'standard',
        clock: 'firstResponse',
        cycle: 0,
        state: 'breached',
        dueAt: AT,
        overdueMinutes: 61,
        usedMinutes: 300,
        targetMinutes: 240,
        completedAt: null,
        headline: true,
        predicted: false,
      },
    ];
    const feedback: LiveFeedback[] = [
      {
        feedbackId: 'f1',
        ticketId: null,
        team: 'support',
        ownerId: null,
        ownerEmail: h,
        contactName: h,
        surveyType: h,
        value: 1,
        state: 'overdue',
        dueAt: AT,
        overdueMinutes: 5,
      },
    ];
    const printed: [string, string][] = [['heed check', checkTable(clocks, feedback, AT)]];
    for (const kind of ['daily', 'weekly'] as const) {
      const model = computeDigest(digestInput(h, kind), DIGEST_NOW, calendar);
      printed.push([`${kind} digest --dry-run`, renderDigestText(model, { late: true })]);
    }
    const style = terminalStyle(false);
    for (const [kind, message] of everyMessage(h)) {
      if ('text' in message) printed.push([`demo: ${kind}`, renderMessageLines(message, { style }).join('\n')]);
    }
    expect(printed.flatMap(([where, text]) => terminalProblems(text, where))).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------- the only safe path

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

it('only src/slack/render/mrkdwn.ts vouches for a string as Mrkdwn (no casts elsewhere)', () => {
  const src = join(import.meta.dirname, '../../src');
  const casting = sourceFiles(src).filter(
    (file) => !file.endsWith('mrkdwn.ts') && /\bas\s+Mrkdwn\b|<Mrkdwn>/.test(readFileSync(file, 'utf8')),
  );
  expect(casting).toEqual([]);
});

// ------------------------------------------------------------------------------ the running app, end to end

describe.each(testProviders())('hostile text end to end on %s', (provider) => {
  let h: Harness;
  const payloads = Object.entries(HOSTILE);
  /** Everything the app answered to commands directly (the ack body). */
  const acks: [string, Record<string, unknown>][] = [];

  async function command(name: string, text: string, options: { user?: string; channel?: string } = {}) {
    const res = await h.command(name, text, options);
    expect(res.status).toBe(200);
    acks.push([`${name} ${text.slice(0, 40)}`, res.json ?? {}]);
    return res;
  }

  beforeAll(async () => {
    h = await startHarness(provider, { cannedDigests: true });
    const prisma = h.db.prisma;
    await seedPortal(prisma);
    await seedOwner(prisma, 'o-carol', 'carol@example.com', 'Carol');
    await seedOwner(prisma, 'o-bob', 'bob@example.com', 'Bob');
    h.slack.addUser('bob@example.com', 'UBOB');
    for (const [i, [, raw]] of payloads.entries()) {
      // PostgreSQL cannot store NUL in text (22021), so no synced row there can hold one; the renderers above
      // are still fed NUL directly.
      const text = provider === 'postgresql' ? raw.replaceAll('\u0000', '') : raw;
      // Half the tickets have an owner Heed can mention, half an owner named by HubSpot (shown as text).
      const hostileOwner = `o-h${i}`;
      await seedOwner(prisma, hostileOwner, `agent${i}@example.com`, text, text);
      for (const [j, ownerId] of [
        [0, 'o-carol'],
        [1, hostileOwner],
      ] as const) {
        const id = `${100 + i}${j}`;
        const startedAt = new Date(AT.getTime() - 6 * HOUR);
        const dueAt = new Date(AT.getTime() - 2 * HOUR);
        await prisma.ticket.create({
          data: {
            id,
            subject: text,
            ownerId,
            priority: j ? text : 'HIGH',
            category: text,
            source: text,
            createdAt: startedAt,
            modifiedAt: startedAt,
            contactName: text,
            contactEmail: `c${i}@example.com`,
            companyName: `${text} Ltd`,
            syncedAt: AT,
          },
        });
        await prisma.clockState.create({
          data: {
            ticketId: id,
            clock: 'firstResponse',
            cycle: 0,
            policy: 'standard',
            team: 'support',
            state: 'breached',
            startedAt,
            dueAt,
            targetMinutes: 240,
            usedMinutes: 360,
            overdueMinutes: 120,
            evaluatedAt: AT,
          },
        });
        await prisma.flag.create({
          data: {
            key: ticketFlagKey(id, 'firstResponse', 0),
            kind: 'ticket',
            ticketId: id,
            clock: 'firstResponse',
            team: 'support',
            state: 'breached',
            escalationLevel: 3,
            raisedAt: startedAt,
            dueAt,
            breachedAt: dueAt,
            updatedAt: AT,
          },
        });
      }
      await prisma.feedbackSubmission.create({
        data: {
          id: `fb${i}`,
          surveyType: text || 'NPS',
          value: 2,
          content: text,
          submittedAt: new Date(AT.getTime() - 30 * HOUR),
          surveyName: text,
          contactId: `c${i}`,
          contactName: text,
          contactEmail: `c${i}@example.com`,
          ticketId: i % 2 ? `${100 + i}0` : null,
          modifiedAt: AT,
          syncedAt: AT,
        },
      });
      await prisma.flag.create({
        data: {
          key: `feedback:fb${i}`,
          kind: 'feedback',
          feedbackId: `fb${i}`,
          ticketId: i % 2 ? `${100 + i}0` : null,
          team: 'support',
          state: 'overdue',
          escalationLevel: 3,
          raisedAt: AT,
          dueAt: new Date(AT.getTime() - 3 * HOUR),
          updatedAt: AT,
        },
      });
    }
    // Nudges, thread pings, DMs and escalations for every ticket and answer.
    await reconcileNudges(h.nudgeDeps, h.clock.now());
    await h.outbox.drainUntilIdle();
    const first = await h.repo.nudgeByFlagKey(ticketFlagKey('1000', 'firstResponse', 0));
    const second = await h.repo.nudgeByFlagKey(ticketFlagKey('1010', 'firstResponse', 0));
    // Buttons: claim, a refused release (an ephemeral note), handled (chat.update), and an answered ticket.
    for (const [user, actionId, ts, key] of [
      ['UBOB', 'nudge_claim', first!.ts!, '1000'],
      ['UALICE', 'nudge_unclaim', first!.ts!, '1000'],
      ['UCAROL', 'nudge_handled', second!.ts!, '1010'],
    ] as const) {
      await h.action({
        user,
        channel: 'CSUPPORT',
        messageTs: ts,
        actionId,
        value: ticketFlagKey(key, 'firstResponse', 0),
      });
    }
    await h.db.prisma.flag.update({
      where: { key: ticketFlagKey('1020', 'firstResponse', 0) },
      data: { state: 'resolved', resolvedAt: AT, updatedAt: new Date(AT.getTime() + 1) },
    });
    await reconcileNudges(h.nudgeDeps, h.clock.now());
    await h.outbox.drainUntilIdle();

    // Digests (daily and weekly) through /digest, the same renderer the scheduled one uses.
    const model = computeDigest(digestInput(payloads[0]![1], 'daily'), DIGEST_NOW, calendar);
    h.digests.set('support', renderDigest(model));
    const weekly = computeDigest(digestInput(payloads[3]![1], 'weekly'), DIGEST_NOW, calendar);
    h.digests.set('billing', renderDigest(weekly));

    for (const [name, text, channel] of [
      ['/unanswered', '', 'CSUPPORT'],
      ['/unanswered', 'me', 'COTHER'],
      ['/unanswered', 'all', 'COTHER'],
      ['/unanswered', 'support', 'COTHER'],
      ['/unanswered', '<@UCAROL|carol>', 'COTHER'],
      ['/unanswered', '<!channel> &lt;x&gt;', 'COTHER'],
      ['/unanswered', '\u202Eevil\u0000', 'COTHER'],
      ['/slow', '', 'COTHER'],
      ['/slow', 'all', 'COTHER'],
      ['/slow', '<https://evil.example|support>', 'COTHER'],
      ['/heed', 'whois 1000', 'COTHER'],
      ['/heed', 'whois 1051', 'COTHER'],
      ['/heed', 'whois <https://evil.example/ticket/1|x>', 'COTHER'],
      ['/heed', 'whois <!here>', 'COTHER'],
      ['/heed', 'status', 'COTHER'],
      ['/heed', 'snooze 1010 1h', 'COTHER'],
      ['/heed', 'mute 2h', 'COTHER'],
      ['/heed', '<!everyone> now', 'COTHER'],
      ['/digest', '', 'CSUPPORT'],
      ['/digest', 'billing', 'COTHER'],
      ['/digest', '<!channel> post', 'COTHER'],
    ] as const) {
      await command(name, text, { user: 'UCAROL', channel });
    }
    // "More" on the first /unanswered page.
    const page = acks.find(([what]) => what.startsWith('/unanswered all'))![1];
    const more = (page['blocks'] as { type: string; elements?: { value?: string }[] }[]).find(
      (b) => b.type === 'actions',
    );
    await h.action({
      user: 'UCAROL',
      channel: 'COTHER',
      messageTs: '1.2',
      actionId: 'list_more',
      value: more?.elements?.[0]?.value ?? '',
    });
    await h.event({ type: 'app_home_opened', user: 'UCAROL', channel: 'DCAROL', tab: 'home', event_ts: '1.0' });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('sent every kind of message', () => {
    const posts = h.slack.calls.filter((c) => c.method === 'chat.postMessage');
    const channels = new Set(posts.map((c) => c.args['channel']));
    // Team channel (nudges and thread pings), the escalation channel, and DMs to Carol (posted to her user id).
    expect(channels).toEqual(new Set(['CSUPPORT', 'CESCALATE', 'UCAROL']));
    expect(posts.filter((c) => c.args['thread_ts'])).not.toHaveLength(0);
    expect(h.slack.calls.filter((c) => c.method === 'chat.update')).not.toHaveLength(0);
    expect(h.slack.responses.length).toBeGreaterThanOrEqual(2);
    expect(h.slack.homeViews.has('UCAROL')).toBe(true);
    expect(acks).toHaveLength(21);
    // The refused release: a service's note, escaped except for the mention it makes.
    const note = h.slack.responses.find((r) => String(r.body['text']).includes('can release'));
    expect(note?.body['text']).toBe(
      "That changed nothing. Only <@UBOB> or the ticket's owner <@UCAROL> can release <@UBOB>'s claim on this ticket.",
    );
  });

  it('nothing Heed sent carries customer markup, control characters or a broken limit', () => {
    const problems: string[] = [];
    for (const call of h.slack.calls) {
      if (['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(call.method)) {
        problems.push(...payloadProblems(call.args, `${call.method} ${String(call.args['channel'])}`, ALLOWED));
      }
      if (call.method === 'views.publish') {
        problems.push(...payloadProblems(call.args['view'] as Record<string, unknown>, 'views.publish', ALLOWED));
      }
    }
    for (const response of h.slack.responses) problems.push(...payloadProblems(response.body, response.path, ALLOWED));
    // /digest acknowledges empty and answers through response_url (checked with the responses above).
    for (const [what, body] of acks)
      if (Object.keys(body).length > 0) problems.push(...payloadProblems(body, what, ALLOWED));
    expect(problems.slice(0, 40)).toEqual([]);
  });
});
