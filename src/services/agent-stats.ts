// The per-agent SLA figures of a window, for `/heed stats` and the weekly report: reads the window's rows
// (AgentStatsRepo), names the owners (HubSpot name, Slack user from the policy's people map or the lookup cache —
// never a Slack call: a command must answer within Slack's 3 s) and computes the figures (domain/agent-stats.ts).

import { type AgentOwnerRow, AgentStatsRepo } from '../db/agent-stats-repo.ts';
import type { Db } from '../db/client.ts';
import { agentStats, type TAgentClock, type TAgentRef, type TAgentStats, type TWindow } from '../domain/agent-stats.ts';

export interface AgentStatsDeps {
  db: Db;
  /**
   * The Slack user of an owner's email as far as Heed knows without asking Slack: the policy's people map, then
   * the lookup cache (SlackUserDirectory.knownSlackId; `knownFromPeople` for callers outside Slack's side).
   */
  knownSlackId(email: string): Promise<string | undefined>;
  /** policy.people, to credit a ✅ by someone Heed knows only from the map to their owner row. */
  people?: Readonly<Record<string, string>> | undefined;
}

/** knownSlackId from the policy's people map, then the lookup cache (SlackUser rows). */
export function knownFromPeople(
  db: Db,
  people: Readonly<Record<string, string>>,
): (email: string) => Promise<string | undefined> {
  const map = new Map(Object.entries(people).map(([email, id]) => [email.toLowerCase(), id]));
  const repo = new AgentStatsRepo(db);
  return async (email) =>
    map.get(email.toLowerCase()) ?? (await repo.slackUsersByEmails([email])).get(email.toLowerCase());
}

export interface AgentStatsQuery {
  window: TWindow;
  /** The teams whose clocks and nudges count; every team when absent. */
  teams?: readonly string[] | undefined;
  /** Only these owners' figures (a person's own); everyone's when absent. */
  onlyOwners?: readonly string[] | undefined;
}

export interface AgentStatsAnswer {
  stats: TAgentStats;
  /** The clocks the figures were computed from (for a person's daily chart). */
  clocks: readonly TAgentClock[];
}

/** "First Last", else the email, else "owner 123": never empty. */
export function agentName(owner: AgentOwnerRow): string {
  const name = [owner.firstName, owner.lastName]
    .filter((p) => p?.trim())
    .join(' ')
    .trim();
  return name || owner.email || `owner ${owner.id}`;
}

export async function loadAgentStats(deps: AgentStatsDeps, query: AgentStatsQuery): Promise<AgentStatsAnswer> {
  const repo = new AgentStatsRepo(deps.db);
  const [clocks, marks] = await Promise.all([
    repo.clocks(query.window, query.teams),
    repo.handled(query.window, query.teams),
  ]);
  const people = new Map(Object.entries(deps.people ?? {}).map(([email, id]) => [email.toLowerCase(), id]));

  // Who marked nudges handled, as owners: by the policy's people map and the lookup cache.
  const handlers = [...new Set(marks.map((m) => m.handledBy))];
  const cachedEmails = await repo.emailsOfSlackUsers(handlers);
  const handlerEmails = new Map<string, string[]>();
  for (const id of handlers) {
    const fromPolicy = [...people].filter(([, slackId]) => slackId === id).map(([email]) => email);
    handlerEmails.set(id, [...new Set([...fromPolicy, ...(cachedEmails.get(id) ?? [])])]);
  }
  const ownerIds = clocks.flatMap((c) => (c.ownerId === null ? [] : [c.ownerId]));
  const [clockOwners, handlerOwners] = await Promise.all([
    repo.ownersByIds(ownerIds),
    repo.ownersByEmails([...handlerEmails.values()].flat()),
  ]);
  const owners = new Map<string, AgentOwnerRow>();
  for (const o of [...clockOwners, ...handlerOwners]) owners.set(o.id, o);
  const slackIds = new Map<string, string>();
  for (const owner of owners.values()) {
    const id = owner.email ? await deps.knownSlackId(owner.email) : undefined;
    if (id) slackIds.set(owner.id, id);
  }
  const slackIdOf = (owner: AgentOwnerRow | undefined) => (owner ? (slackIds.get(owner.id) ?? null) : null);

  const ownerBySlack = new Map<string, string>();
  for (const owner of owners.values()) {
    const slackId = slackIdOf(owner);
    if (slackId && !ownerBySlack.has(slackId)) ownerBySlack.set(slackId, owner.id);
  }
  for (const [slackId, emails] of handlerEmails) {
    if (ownerBySlack.has(slackId)) continue;
    const wanted = new Set(emails.map((e) => e.toLowerCase()));
    const owner = handlerOwners.find((o) => o.email && wanted.has(o.email.toLowerCase()));
    if (owner) ownerBySlack.set(slackId, owner.id);
  }

  const agent = (ownerId: string): TAgentRef => {
    const owner = owners.get(ownerId);
    return {
      ownerId,
      name: owner ? agentName(owner) : `owner ${ownerId}`,
      slackUserId: slackIdOf(owner) ?? [...ownerBySlack].find(([, id]) => id === ownerId)?.[0] ?? null,
    };
  };
  const stats = agentStats(
    {
      clocks,
      handled: marks,
      agent,
      ownerOfSlackUser: (slackId) => ownerBySlack.get(slackId),
      onlyOwners: query.onlyOwners ? new Set(query.onlyOwners) : undefined,
    },
    query.window,
  );
  return { stats, clocks };
}
