// What one incoming copy of a ticket does to the stored one: the rule both dialect writers apply, row by row.
// - A copy older than the stored one (by hs_lastmodifieddate) is stale: it changes nothing.
// - A ticket not seen before opens its first stage period, entered when HubSpot says it entered the stage
//   (hs_v2_date_entered_current_stage), or at its modification time when the payload does not say.
// - A stage change closes the open period at that moment and opens one for the new stage.
import type { TicketRow } from '../hubspot/map.ts';

/** What the writer knows of the stored ticket. */
export type StoredTicketStage = { readonly stageId: string | null; readonly modifiedAt: number };

export type TicketChange =
  | { readonly kind: 'stale' }
  | {
      readonly kind: 'insert' | 'update';
      /** A stage period to open (for an update: after closing the open one at the same instant). */
      readonly period: { readonly stageId: string; readonly enteredAt: number } | undefined;
    };

export function ticketChange(
  stored: StoredTicketStage | undefined,
  row: Pick<TicketRow, 'stageId' | 'stageEnteredAt' | 'modifiedAt'>,
): TicketChange {
  if (stored && stored.modifiedAt > row.modifiedAt) return { kind: 'stale' };
  const enteredAt = row.stageEnteredAt ?? row.modifiedAt;
  if (!stored) return { kind: 'insert', period: row.stageId ? { stageId: row.stageId, enteredAt } : undefined };
  const moved = row.stageId !== null && stored.stageId !== row.stageId;
  return { kind: 'update', period: moved && row.stageId ? { stageId: row.stageId, enteredAt } : undefined };
}
