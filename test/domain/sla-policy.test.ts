import { describe, expect, it } from 'vitest';
import { compileSlaRules, selectSlaRule, type TSlaSubject, type TSlaWhen } from '../../src/domain/sla-policy.ts';

const rules: { name: string; when?: TSlaWhen }[] = [
  { name: 'vip-billing', when: { priority: ['URGENT'], category: ['BILLING_ISSUE'] } },
  { name: 'urgent', when: { priority: ['URGENT', 'HIGH'], pipeline: [], team: [] } },
  { name: 'chat', when: { source: ['CHAT'] } },
  { name: 'enterprise', when: { team: ['enterprise'], pipeline: ['7'] } },
  { name: 'standard' },
];

const subject = (over: Partial<TSlaSubject>): TSlaSubject => ({
  priority: null,
  pipelineId: '0',
  team: 'support',
  category: null,
  source: 'EMAIL',
  ...over,
});

describe('selectSlaRule', () => {
  it.each<[string, Partial<TSlaSubject>, string]>([
    ['every listed key must match', { priority: 'URGENT', category: 'BILLING_ISSUE' }, 'vip-billing'],
    [
      'multi-checkbox category matches any value',
      { priority: 'URGENT', category: 'PRODUCT_ISSUE;BILLING_ISSUE' },
      'vip-billing',
    ],
    ['empty lists do not constrain', { priority: 'HIGH' }, 'urgent'],
    ['case-insensitive values', { priority: 'urgent' }, 'urgent'],
    ['first match wins', { priority: 'HIGH', source: 'CHAT' }, 'urgent'],
    ['source', { source: 'CHAT' }, 'chat'],
    ['team and pipeline together', { team: 'enterprise', pipelineId: '7' }, 'enterprise'],
    ['team without the pipeline falls through', { team: 'enterprise', pipelineId: '0' }, 'standard'],
    ['a missing value does not match a list', { priority: null, category: null }, 'standard'],
  ])('%s', (_label, over, expected) => {
    expect(selectSlaRule(rules, subject(over))?.name).toBe(expected);
    expect(compileSlaRules(rules)(subject(over))?.name).toBe(expected);
  });

  it('returns undefined when no rule matches', () => {
    expect(selectSlaRule([{ name: 'only-urgent', when: { priority: ['URGENT'] } }], subject({}))).toBeUndefined();
    expect(compileSlaRules([{ name: 'only-urgent', when: { priority: ['URGENT'] } }])(subject({}))).toBeUndefined();
  });
});
