// What a person reads when HubSpot refused a write-back: HubSpot's words, escaped (they are outside text: a rule's
// message can quote what an admin typed), and the claim line when a claim lapsed.
import { describe, expect, it } from 'vitest';
import { claimLapseLine } from '../../src/slack/render/nudge.ts';
import { renderWriteBackRefusal } from '../../src/slack/render/write-back.ts';

describe('renderWriteBackRefusal', () => {
  it('names the claimer and quotes HubSpot', () => {
    const rendered = renderWriteBackRefusal({
      kind: 'owner',
      actor: 'UBOB',
      reason: 'hs_ticket_category is required when hubspot_owner_id is set',
    });
    expect(rendered.text).toBe(
      "Couldn't set <@UBOB> as owner in HubSpot: hs_ticket_category is required when hubspot_owner_id is set",
    );
    expect(JSON.stringify(rendered.blocks)).toContain('The claim still stands in Slack.');
  });

  it('escapes what HubSpot says: no broadcast, no link, no fake mention', () => {
    const rendered = renderWriteBackRefusal({
      kind: 'stage',
      actor: 'UCAROL',
      stage: 'stage 4',
      reason: '<!channel> see <https://evil.example|HubSpot> & <@U0ADMIN>',
    });
    expect(rendered.text).toBe(
      "Couldn't move this ticket to stage 4 in HubSpot (handled by <@UCAROL>): &lt;!channel&gt; see &lt;https://evil.example|HubSpot&gt; &amp; &lt;@U0ADMIN&gt;",
    );
    expect(JSON.stringify(rendered.blocks)).not.toContain('<!channel>');
  });
});

describe('claimLapseLine', () => {
  it('says who claimed when, and what they promised', () => {
    const line = claimLapseLine({ by: 'UBOB', at: new Date('2026-03-02T10:12:00Z'), within: '30m' });
    expect(String(line)).toBe(
      ":eyes: <@UBOB> claimed this at <!date^1772446320^{time}|2026-03-02 10:12 UTC> and hasn't replied yet (promised within 30m)",
    );
  });
});
