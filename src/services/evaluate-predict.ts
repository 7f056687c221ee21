// Which tickets' first-response clocks are likely to breach (domain/predict.ts), read once per evaluation: the
// queue spans every open ticket of a team, whatever the evaluation's scope. The queue is the clocks as the last
// evaluation stored them (so a prediction trails the facts by one run, a minute by default); the pace is each
// team's first replies over the policy's window, measured on the team's calendar.
import type { SlaRepo } from '../db/sla-repo.ts';
import { addBusinessTime } from '../domain/calendar.ts';
import type { ClockStateName } from '../domain/flag.ts';
import { predictBreaches, replyPaces, type TPrediction } from '../domain/predict.ts';
import type { SlaEngine } from './evaluate-engine.ts';

const DAY_MS = 86_400_000;

export async function predictFirstResponses(
  repo: Pick<SlaRepo, 'predictionInputs'>,
  engine: Pick<SlaEngine, 'predictions' | 'teams' | 'rules' | 'calendarOf'>,
  now: Date,
): Promise<Map<string, TPrediction>> {
  const out = new Map<string, TPrediction>();
  const settings = engine.predictions;
  if (!settings) return out;
  const { queue, replies } = await repo.predictionInputs(new Date(now.getTime() - settings.windowDays * DAY_MS));
  const warnAt = new Map(engine.rules.map((r) => [r.name, r.warnAt ?? 0.75]));
  for (const team of engine.teams) {
    const calendar = engine.calendarOf(team);
    const paces = replyPaces(
      replies.filter((r) => r.team === team.name),
      now,
      calendar,
      settings,
    );
    const clocks = queue
      .filter((c) => c.team === team.name)
      .map((c) => ({
        ticketId: c.ticketId,
        ownerId: c.ownerId,
        createdAt: c.createdAt,
        state: c.state as ClockStateName,
        dueAt: c.dueAt,
        atRiskAt: addBusinessTime(c.startedAt, c.targetMinutes * (warnAt.get(c.policy) ?? 0.75), calendar),
      }));
    for (const p of predictBreaches(clocks, paces, now, calendar)) out.set(p.ticketId, p);
  }
  return out;
}
