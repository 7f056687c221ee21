// Which Heed team a ticket belongs to. A team takes a ticket when its HubSpot team (hubspotTeamIds),
// pipeline (pipelines) or owner (owners: ids or emails) matches; teams are asked in policy order and a
// ticket no team takes goes to the first team, so nothing falls through the cracks unseen.

export interface TTeamMatcher {
  readonly name: string;
  readonly hubspotTeamIds: readonly string[];
  readonly pipelines: readonly string[];
  readonly owners: readonly string[];
}

export interface TTeamSubject {
  readonly hubspotTeamId: string | null;
  readonly pipelineId: string | null;
  readonly ownerId: string | null;
  readonly ownerEmail: string | null;
}

export function assignTeam<T extends TTeamMatcher>(teams: readonly T[], ticket: TTeamSubject): T {
  if (teams.length === 0) throw new RangeError('assignTeam needs at least one team');
  const email = ticket.ownerEmail?.toLowerCase() ?? null;
  const taken = teams.find(
    (team) =>
      (ticket.hubspotTeamId !== null && team.hubspotTeamIds.includes(ticket.hubspotTeamId)) ||
      (ticket.pipelineId !== null && team.pipelines.includes(ticket.pipelineId)) ||
      team.owners.some((owner) => owner === ticket.ownerId || (email !== null && owner.toLowerCase() === email)),
  );
  return taken ?? teams[0]!;
}
