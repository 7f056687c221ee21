import { describe, expect, it } from 'vitest';
import {
  compileSlaRules,
  customerProperties,
  selectSlaRule,
  type TSlaSubject,
  type TSlaWhen,
} from '../../src/domain/sla-policy.ts';

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

describe('SLA targets by customer tier (company and contact properties)', () => {
  const tiers: { name: string; when?: TSlaWhen }[] = [
    { name: 'enterprise-urgent', when: { priority: ['URGENT'], company: { tier: ['Enterprise'] } } },
    { name: 'enterprise', when: { company: { tier: ['Enterprise', 'Strategic'] } } },
    { name: 'emea-pro', when: { company: { tier: ['Professional'], region: ['EMEA'] } } },
    { name: 'vip-contact', when: { contact: { vip: ['true'] } } },
    { name: 'standard' },
  ];
  const enterprise = { tier: 'Enterprise' };

  it.each<[string, Partial<TSlaSubject>, string]>([
    ['the company’s tier', { company: enterprise }, 'enterprise'],
    ['ticket and company conditions together', { priority: 'URGENT', company: enterprise }, 'enterprise-urgent'],
    ['any listed value', { company: { tier: 'Strategic' } }, 'enterprise'],
    ['case-insensitive, as ticket values', { company: { tier: 'enterprise' } }, 'enterprise'],
    ['a multi-select value matches any of its options', { company: { tier: 'Starter;Enterprise' } }, 'enterprise'],
    ['every named property must match', { company: { tier: 'Professional', region: 'EMEA' } }, 'emea-pro'],
    ['one property of two is not enough', { company: { tier: 'Professional', region: 'APAC' } }, 'standard'],
    ['a company without the property does not match', { company: { region: 'EMEA' } }, 'standard'],
    ['a property HubSpot left empty does not match', { company: { tier: null } }, 'standard'],
    ['a ticket without a company does not match', { company: null }, 'standard'],
    ['a subject that says nothing about customers does not match', {}, 'standard'],
    ['the contact’s properties', { contact: { vip: 'TRUE' } }, 'vip-contact'],
    ['company and contact are told apart', { company: { vip: 'true' } }, 'standard'],
    ['the first matching rule wins', { company: enterprise, contact: { vip: 'true' } }, 'enterprise'],
  ])('%s', (_label, over, expected) => {
    expect(selectSlaRule(tiers, subject(over))?.name).toBe(expected);
    expect(compileSlaRules(tiers)(subject(over))?.name).toBe(expected);
  });

  it('names the properties to sync, per object, and none when no rule asks', () => {
    expect(customerProperties(tiers)).toEqual({ companies: ['region', 'tier'], contacts: ['vip'] });
    expect(customerProperties(rules)).toEqual({ companies: [], contacts: [] });
  });
});
