// The repositories of Heed's copy of HubSpot, one per thing stored, over one database: what the sync, the
// webhooks journal and the webhook route read and write.
import type { Db } from './client.ts';
import { ConversationRepo } from './conversation-repo.ts';
import { CustomerRecordRepo } from './customer-record-repo.ts';
import { FeedbackRepo } from './feedback-repo.ts';
import { HubspotUserRepo } from './hubspot-user-repo.ts';
import { OwnerRepo } from './owner-repo.ts';
import { PipelineRepo } from './pipeline-repo.ts';
import { PortalRepo } from './portal-repo.ts';
import { SyncCursorRepo } from './sync-cursor-repo.ts';
import { SyncRunRepo } from './sync-run-repo.ts';
import { TicketRepo } from './ticket-repo.ts';
import { WebhookQueueRepo } from './webhook-queue-repo.ts';

export type HubspotRepos = {
  readonly cursors: SyncCursorRepo;
  readonly tickets: TicketRepo;
  readonly feedback: FeedbackRepo;
  readonly users: HubspotUserRepo;
  readonly owners: OwnerRepo;
  readonly pipelines: PipelineRepo;
  readonly portal: PortalRepo;
  readonly runs: SyncRunRepo;
  readonly webhooks: WebhookQueueRepo;
  readonly conversations: ConversationRepo;
  /** Companies and contacts of open tickets, with the properties SLA rules name. */
  readonly companies: CustomerRecordRepo;
  readonly contacts: CustomerRecordRepo;
};

export function hubspotRepos(db: Db): HubspotRepos {
  return {
    cursors: new SyncCursorRepo(db),
    tickets: new TicketRepo(db),
    feedback: new FeedbackRepo(db),
    users: new HubspotUserRepo(db),
    owners: new OwnerRepo(db),
    pipelines: new PipelineRepo(db),
    portal: new PortalRepo(db),
    runs: new SyncRunRepo(db),
    webhooks: new WebhookQueueRepo(db),
    conversations: new ConversationRepo(db),
    companies: new CustomerRecordRepo(db, 'Company'),
    contacts: new CustomerRecordRepo(db, 'Contact'),
  };
}
