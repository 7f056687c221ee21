// Setting a ticket's owner (claims will use it). From API version 2026-09 HubSpot enforces the account's own
// validation rules on API writes: a refusal must reach the person as HubSpot words it, naming the rule, with a code
// and a fix, and must change nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubspotError } from '../../src/hubspot/client.ts';
import { setTicketOwner } from '../../src/hubspot/crm.ts';
import { type Harness, startHarness } from './harness.ts';

describe('setTicketOwner (PATCH /crm/objects/2026-09/tickets/{id})', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness('sqlite');
  });
  afterEach(() => h.close());

  /** A live ticket whose category is empty (the rule below needs one). */
  const uncategorized = () => {
    for (let i = 0; i < h.sim.portal.ticketCount; i++) {
      if (!h.sim.portal.t.archived[i] && h.sim.portal.t.category[i] === -1) return h.sim.portal.ticketId(i);
    }
    throw new Error('no uncategorized ticket in the portal');
  };

  it('sets the owner, and the next sync stores it', async () => {
    await h.service.run();
    const ticketId = uncategorized();
    const owner = h.sim.portal.owners[3]!;
    h.clock.advance(1000);
    const answer = await setTicketOwner(h.api, ticketId, owner.id);
    expect(answer.properties['hubspot_owner_id']).toBe(owner.id);
    await h.service.run();
    const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
    expect(row.ownerId).toBe(owner.id);
  });

  it('a validation rule’s refusal names the rule in HubSpot’s words, with a code and a fix, and changes nothing', async () => {
    const ticketId = uncategorized();
    const i = h.sim.portal.ticketIndex(ticketId)!;
    const ownerBefore = h.sim.portal.t.owner[i];
    const modifiedBefore = h.sim.portal.t.modifiedAt[i];
    h.sim.portal.validationRules.push({ when: 'hubspot_owner_id', requires: 'hs_ticket_category' });
    const error = (await setTicketOwner(h.api, ticketId, h.sim.portal.owners[2]!.id).catch(
      (e: unknown) => e,
    )) as HubspotError;
    expect(error).toBeInstanceOf(HubspotError);
    expect(error.code).toBe('HUBSPOT_WRITE_REFUSED');
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      `HubSpot refused to set the owner of ticket ${ticketId}: hs_ticket_category: hs_ticket_category is required ` +
        'when hubspot_owner_id is set (a conditional property rule of this account)',
    );
    expect(error.fix).toContain('since API version 2026-09 the account’s own rules apply to API writes');
    expect(error.fix).toContain('Settings → Properties');
    // Nothing changed, and the refusal was not retried.
    expect(h.sim.portal.t.owner[i]).toBe(ownerBefore);
    expect(h.sim.portal.t.modifiedAt[i]).toBe(modifiedBefore);
    expect(h.sim.counts.get(`PATCH /crm/objects/2026-09/tickets/${ticketId}`)).toBe(1);
  });

  it('once the ticket meets the rule, the same change goes through', async () => {
    const ticketId = uncategorized();
    h.sim.portal.validationRules.push({ when: 'hubspot_owner_id', requires: 'hs_ticket_category' });
    await expect(setTicketOwner(h.api, ticketId, h.sim.portal.owners[2]!.id)).rejects.toMatchObject({
      code: 'HUBSPOT_WRITE_REFUSED',
    });
    h.sim.portal.updateTicket(ticketId, { hs_ticket_category: 'BILLING_ISSUE' }, h.clock.now().getTime());
    const answer = await setTicketOwner(h.api, ticketId, h.sim.portal.owners[2]!.id);
    expect(answer.properties['hubspot_owner_id']).toBe(h.sim.portal.owners[2]!.id);
  });

  it('an owner id HubSpot does not know is refused in its words too', async () => {
    const error = (await setTicketOwner(h.api, h.sim.portal.ticketId(1), '999999').catch(
      (e: unknown) => e,
    )) as HubspotError;
    expect(error.code).toBe('HUBSPOT_WRITE_REFUSED');
    expect(error.message).toBe(
      `HubSpot refused to set the owner of ticket ${h.sim.portal.ticketId(1)}: hubspot_owner_id: 999999 is not a valid owner id`,
    );
  });

  it('a ticket deleted in HubSpot is HUBSPOT_NOT_FOUND, not a retired API', async () => {
    const ticketId = h.sim.portal.ticketId(2);
    h.sim.portal.archiveTicket(ticketId, h.clock.now().getTime());
    const error = (await setTicketOwner(h.api, ticketId, h.sim.portal.owners[0]!.id).catch(
      (e: unknown) => e,
    )) as HubspotError;
    expect(error.code).toBe('HUBSPOT_NOT_FOUND');
    expect(error.message).toContain(`PATCH /crm/objects/2026-09/tickets/${ticketId} answered 404`);
  });
});
