import { describe, expect, it } from 'vitest';
import { assignTeam, type TTeamSubject } from '../../src/domain/team-assignment.ts';

const teams = [
  { name: 'support', hubspotTeamIds: [], pipelines: ['0'], owners: [] },
  { name: 'billing', hubspotTeamIds: ['4711'], pipelines: ['5'], owners: [] },
  { name: 'vip', hubspotTeamIds: [], pipelines: [], owners: ['99', 'Lead@Example.com'] },
];

const ticket = (over: Partial<TTeamSubject>): TTeamSubject => ({
  hubspotTeamId: null,
  pipelineId: null,
  ownerId: null,
  ownerEmail: null,
  ...over,
});

describe('assignTeam', () => {
  it.each<[string, Partial<TTeamSubject>, string]>([
    ['HubSpot team', { hubspotTeamId: '4711' }, 'billing'],
    ['pipeline', { pipelineId: '5' }, 'billing'],
    ['owner id', { ownerId: '99' }, 'vip'],
    ['owner email, any case', { ownerEmail: 'lead@example.com' }, 'vip'],
    ['teams are asked in order', { pipelineId: '0', hubspotTeamId: '4711' }, 'support'],
    ['nobody takes it: the first team', { pipelineId: '42', hubspotTeamId: '1' }, 'support'],
    ['nothing known: the first team', {}, 'support'],
  ])('%s', (_label, over, expected) => {
    expect(assignTeam(teams, ticket(over)).name).toBe(expected);
  });

  it('needs a team', () => {
    expect(() => assignTeam([], ticket({}))).toThrow(RangeError);
  });
});
