// Rows the SLA engine and the sync would have written, created directly for Slack-side tests.
import { type ClockName, ticketFlagKey } from '../../../src/domain/flag.ts';
import type { PrismaClient } from '../../../src/generated/sqlite/client.ts';

export async function seedPortal(prisma: PrismaClient): Promise<void> {
  await prisma.portal.create({
    data: { id: '4242', uiDomain: 'app.hubspot.com', timeZone: 'UTC', updatedAt: new Date() },
  });
}

export async function seedOwner(
  prisma: PrismaClient,
  id: string,
  email: string,
  firstName: string,
  lastName = 'Agent',
): Promise<void> {
  await prisma.owner.create({ data: { id, email, firstName, lastName, type: 'PERSON', updatedAt: new Date() } });
}

export interface SeedTicket {
  id: string;
  subject?: string;
  ownerId?: string | null;
  priority?: string;
  team?: string;
  clock?: ClockName;
  state?: 'at_risk' | 'breached';
  clockState?: 'running' | 'at_risk' | 'breached';
  startedAt: Date;
  dueAt: Date;
  escalationLevel?: number;
  contactName?: string;
}

/** A ticket with one clock and (unless the clock is merely running) its flag. Returns the flag key. */
export async function seedTicketFlag(prisma: PrismaClient, t: SeedTicket, now: Date): Promise<string> {
  const clock = t.clock ?? 'firstResponse';
  await prisma.ticket.upsert({
    where: { id: t.id },
    create: {
      id: t.id,
      subject: t.subject ?? `Ticket ${t.id}`,
      ownerId: t.ownerId ?? null,
      priority: t.priority ?? 'MEDIUM',
      createdAt: t.startedAt,
      modifiedAt: t.startedAt,
      contactName: t.contactName ?? 'Dana Customer',
      companyName: 'Acme',
      syncedAt: now,
    },
    update: {},
  });
  const state = t.clockState ?? t.state ?? 'at_risk';
  await prisma.clockState.create({
    data: {
      ticketId: t.id,
      clock,
      cycle: 0,
      policy: 'standard',
      team: t.team ?? 'support',
      state,
      startedAt: t.startedAt,
      dueAt: t.dueAt,
      targetMinutes: 240,
      usedMinutes: Math.round((now.getTime() - t.startedAt.getTime()) / 60_000),
      overdueMinutes: state === 'breached' ? Math.round((now.getTime() - t.dueAt.getTime()) / 60_000) : 0,
      evaluatedAt: now,
    },
  });
  const key = ticketFlagKey(t.id, clock, 0);
  if (state === 'running') return key;
  await prisma.flag.create({
    data: {
      key,
      kind: 'ticket',
      ticketId: t.id,
      clock,
      team: t.team ?? 'support',
      state,
      escalationLevel: t.escalationLevel ?? 1,
      raisedAt: t.startedAt,
      dueAt: t.dueAt,
      breachedAt: state === 'breached' ? t.dueAt : null,
      updatedAt: now,
    },
  });
  return key;
}
