// The baseline bench:evaluate compares Heed's evaluation with: the same judgement (the same domain code, the
// same results) done the straightforward way — Prisma findMany for every table it needs, the clocks and flags
// computed, and an `upsert` per changed row. What it measures is the I/O design, not the rules.
import type { Db } from '../src/db/client.ts';
import { evaluateFeedback } from '../src/domain/feedback.ts';
import { type ClockName, feedbackFlagKey, isOpenState } from '../src/domain/flag.ts';
import { judgeFeedbackFlag, judgeTicket, type TFlagJudgement, type TStoredFlag } from '../src/domain/flag-machine.ts';
import { computeTicketClocks, type TStagePeriod, type TTicketMessage } from '../src/domain/sla-clocks.ts';
import { assignTeam } from '../src/domain/team-assignment.ts';
import type { SlaEngine } from '../src/services/evaluate-engine.ts';

export interface NaiveResult {
  readonly tickets: number;
  readonly clockRowsWritten: number;
  readonly flagRowsWritten: number;
}

const DAY = 86_400_000;

function group<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}

export async function naiveEvaluate(db: Db, engine: SlaEngine, now: Date): Promise<NaiveResult> {
  const { prisma } = db;
  const owners = new Map((await prisma.owner.findMany()).map((o) => [o.id, o.email]));
  const closedStageIds = new Set((await prisma.stage.findMany({ where: { isClosed: true } })).map((s) => s.id));
  const pausing = [...new Set([...engine.waitingStageIds, ...closedStageIds])];
  const allFlags = (await prisma.flag.findMany({ where: { kind: 'ticket' } })) as unknown as TStoredFlag[];
  const openFlagTickets = new Set(
    allFlags.filter((f) => isOpenState(f.state) || f.state === 'handled').map((f) => f.ticketId!),
  );
  const open = await prisma.ticket.findMany({ where: { archived: false, isClosed: false } });
  const openIds = new Set(open.map((t) => t.id));
  const extra = [...openFlagTickets].filter((id) => !openIds.has(id));
  const tickets =
    extra.length > 0 ? [...open, ...(await prisma.ticket.findMany({ where: { id: { in: extra } } }))] : open;
  const clocks = group(await prisma.clockState.findMany(), (c) => c.ticketId);
  const flags = group(allFlags, (f) => f.ticketId!);
  const messages = group(await prisma.ticketMessage.findMany(), (m) => m.ticketId);
  const periods = group(
    await prisma.ticketStagePeriod.findMany({ where: { stageId: { in: pausing } } }),
    (p) => p.ticketId,
  );
  const clockOptions = {
    waitingStageIds: engine.waitingStageIds,
    closedStageIds,
    useHubspotSla: engine.useHubspotSla,
    courtesy: engine.courtesy,
    countRepliesFrom: engine.countRepliesFrom,
    nextResponseFrom: engine.nextResponseFrom,
  };

  let clockRowsWritten = 0;
  let flagRowsWritten = 0;
  const writeFlag = async (judgement: TFlagJudgement) => {
    if (!judgement.changed || !judgement.flag) return;
    const { key, ...data } = judgement.flag;
    await prisma.flag.upsert({ where: { key }, create: { key, ...data }, update: data });
    flagRowsWritten++;
  };

  for (const ticket of tickets) {
    const ownerEmail = ticket.ownerId ? (owners.get(ticket.ownerId) ?? null) : null;
    const team = assignTeam(engine.teams, { ...ticket, ownerEmail });
    const rule = ticket.archived
      ? undefined
      : engine.ruleFor({ ...ticket, pipelineId: ticket.pipelineId, team: team.name });
    const calendar = engine.calendarOf(team);
    const previous = (clocks.get(ticket.id) ?? []).map((c) => ({ ...c, clock: c.clock as ClockName }));
    const result = rule
      ? computeTicketClocks(
          {
            ticket,
            stagePeriods: (periods.get(ticket.id) ?? []) as TStagePeriod[],
            messages: (messages.get(ticket.id) ?? []) as TTicketMessage[],
            previous,
          },
          rule,
          calendar,
          clockOptions,
          now,
        )
      : undefined;
    const judged = judgeTicket(
      {
        ticketId: ticket.id,
        team: team.name,
        deleted: ticket.archived,
        closed: ticket.isClosed,
        replied: ticket.firstAgentReplyAt !== null || ticket.lastAgentMessageAt !== null,
        clocks: result?.clocks,
        flags: flags.get(ticket.id) ?? [],
        escalateAfter: rule?.escalateAfter ?? 0,
        calendar,
      },
      engine.machine,
      now,
    );
    for (const [i, clock] of (result?.clocks ?? []).entries()) {
      const before = previous.find((p) => p.clock === clock.clock);
      const next = judged.clocks[i]!.nextCheckAt;
      const nextCheckAt = next === undefined ? null : new Date(next);
      const same =
        before &&
        before.cycle === clock.cycle &&
        before.policy === rule!.name &&
        before.team === team.name &&
        before.state === clock.state &&
        before.targetMinutes === clock.targetMinutes &&
        before.startedAt.getTime() === clock.startedAt.getTime() &&
        (before.completedAt?.getTime() ?? null) === (clock.completedAt?.getTime() ?? null) &&
        (before.nextCheckAt?.getTime() ?? null) === (nextCheckAt?.getTime() ?? null) &&
        ((before.state === 'paused' && clock.state === 'paused') || before.dueAt?.getTime() === clock.dueAt.getTime());
      if (!same) {
        const data = {
          cycle: clock.cycle,
          policy: rule!.name,
          team: team.name,
          state: clock.state,
          startedAt: clock.startedAt,
          dueAt: clock.dueAt,
          completedAt: clock.completedAt,
          targetMinutes: clock.targetMinutes,
          usedMinutes: clock.usedMinutes,
          overdueMinutes: clock.overdueMinutes,
          evaluatedAt: now,
          nextCheckAt,
        };
        await prisma.clockState.upsert({
          where: { ticketId_clock: { ticketId: ticket.id, clock: clock.clock } },
          create: { ticketId: ticket.id, clock: clock.clock, ...data },
          update: data,
        });
        clockRowsWritten++;
      }
      await writeFlag(judged.clocks[i]!);
    }
    for (const judgement of judged.others) await writeFlag(judgement);
  }

  // Feedback: the answers of the look-back window and those with an open flag, with their follow-up evidence.
  const feedbackFlags = new Map(
    ((await prisma.flag.findMany({ where: { kind: 'feedback' } })) as unknown as TStoredFlag[]).map((f) => [
      f.feedbackId!,
      f,
    ]),
  );
  const answers = (
    await prisma.feedbackSubmission.findMany({
      where: { submittedAt: { gte: new Date(now.getTime() - 30 * DAY), lte: now } },
    })
  ).filter((a) => {
    const flag = feedbackFlags.get(a.id);
    return !flag || isOpenState(flag.state);
  });
  const byId = new Map(tickets.map((t) => [t.id, t]));
  const linked = answers.map((a) => a.ticketId).filter((id): id is string => id !== null && !byId.has(id));
  for (const t of await prisma.ticket.findMany({ where: { id: { in: linked } } })) byId.set(t.id, t);
  const contactIds = answers.map((a) => a.contactId).filter((id): id is string => id !== null);
  const contactTickets = group(
    await prisma.ticket.findMany({
      where: { contactId: { in: contactIds } },
      select: { contactId: true, createdAt: true },
    }),
    (t) => t.contactId!,
  );
  for (const answer of answers) {
    const ticket = answer.ticketId ? byId.get(answer.ticketId) : undefined;
    const ownerEmail = ticket?.ownerId ? (owners.get(ticket.ownerId) ?? null) : null;
    const team = assignTeam(engine.teams, {
      hubspotTeamId: ticket?.hubspotTeamId ?? null,
      pipelineId: ticket?.pipelineId ?? null,
      ownerId: ticket?.ownerId ?? null,
      ownerEmail,
    });
    const stored = feedbackFlags.get(answer.id);
    const calendar = engine.calendarOf(team);
    const replies = (messages.get(answer.ticketId ?? '') ?? [])
      .filter((m) => m.direction.toUpperCase().startsWith('OUT'))
      .map((m) => m.createdAt);
    if (ticket?.lastAgentMessageAt) replies.push(ticket.lastAgentMessageAt);
    const result = answer.archived
      ? undefined
      : evaluateFeedback(
          answer,
          engine.feedback,
          engine.followUpWithin,
          calendar,
          {
            ticketReplies: replies,
            contactTickets: (contactTickets.get(answer.contactId ?? '') ?? []).map((t) => t.createdAt),
            handledAt: stored?.handledAt ?? null,
          },
          now,
        );
    await writeFlag(
      judgeFeedbackFlag(
        {
          key: feedbackFlagKey(answer.id),
          feedbackId: answer.id,
          ticketId: answer.ticketId,
          stored,
          result,
          submittedAt: answer.submittedAt,
          team: team.name,
          calendar,
        },
        engine.machine,
        now,
      ),
    );
  }
  return { tickets: tickets.length, clockRowsWritten, flagRowsWritten };
}
