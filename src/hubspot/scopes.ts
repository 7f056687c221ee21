// The HubSpot scopes Heed uses, and why: the one list the README's table, `heed doctor`, and the project app in
// hubspot-app/ (test/hubspot/project-app.test.ts compares them) are made from. Each scope names the cheapest
// date-versioned call that needs it, which doctor sends to find out whether the credential has the scope.
//
// Why probe rather than ask HubSpot for the key's scopes: a Service Key's scopes are shown on its page in HubSpot
// (Development → Keys → Service keys → the key → "Summary of selected scopes"), but HubSpot offers no
// date-versioned API that lists them: token introspection (/oauth/2026-03/token/introspect) needs an app's client id
// and secret, which a Service Key does not have, and the private-app token-info endpoint is a legacy v2 path Heed
// does not call. A 403 from HubSpot names the missing scope itself (context.requiredGranularScopes), which doctor
// reports, falling back to this list.
import { paths } from './api-version.ts';

export type HeedScope = {
  scope: string;
  /** false: Heed runs without it (and says what it loses). */
  required: boolean;
  why: string;
  /** A cheap GET that HubSpot refuses with 403 when the scope is missing. */
  probe: string;
  /** What doctor calls the data behind the scope. */
  what: string;
  /** For optional scopes: what Heed does without it. */
  without?: string;
};

export const HEED_SCOPES: readonly HeedScope[] = [
  {
    // The 2026-09 account-info spec names `oauth` as the scope of GET /account-info/2026-09/details.
    scope: 'oauth',
    required: true,
    why: 'read the account’s id, time zone and domain (links to tickets; when the daily API limit resets)',
    probe: paths.accountDetails(),
    what: 'account details',
  },
  {
    scope: 'tickets',
    required: true,
    why: 'read tickets and ticket pipelines; set a ticket’s owner when someone claims it from Slack',
    probe: `${paths.objects('tickets')}?limit=1`,
    what: 'tickets',
  },
  {
    scope: 'crm.objects.owners.read',
    required: true,
    why: 'map ticket owners to people (and their Slack accounts by email)',
    probe: `${paths.owners()}?limit=1`,
    what: 'owners',
  },
  {
    scope: 'crm.objects.contacts.read',
    required: true,
    why: 'show the customer’s name in nudges; link feedback to tickets',
    probe: `${paths.objects('contacts')}?limit=1`,
    what: 'contact names',
  },
  {
    scope: 'crm.objects.companies.read',
    required: true,
    why: 'show the customer’s company in nudges',
    probe: `${paths.objects('companies')}?limit=1`,
    what: 'company names',
  },
  {
    scope: 'crm.objects.feedback_submissions.read',
    required: false,
    why: 'NPS/CSAT/CES answers (Service Hub Professional or Enterprise)',
    probe: `${paths.objects('feedback_submissions')}?limit=1`,
    what: 'feedback answers',
    without: 'Heed runs without feedback (it needs Service Hub Professional or Enterprise)',
  },
  {
    scope: 'crm.objects.users.read',
    required: false,
    why: 'users’ availability, out-of-office periods, working hours and time zone (for routing)',
    probe: `${paths.objects('users')}?limit=1`,
    what: 'users and their availability',
    without: 'Heed runs without users’ availability (routing will not know who is away)',
  },
  {
    // The 2026-09 conversations spec names conversations.read for every GET of threads and messages.
    scope: 'conversations.read',
    required: false,
    why: 'tickets’ conversations: response clocks follow the messages (internal notes, automated answers, “thanks!”)',
    probe: `${paths.threads()}?limit=1`,
    what: 'conversation threads and messages',
    without: 'Heed times replies from the ticket properties alone (it cannot tell a note or a “thanks!” from a reply)',
  },
];

/**
 * What the project app's client-credentials token needs to read the webhooks journal and keep Heed's journal
 * subscriptions in place. These are not install scopes of the app: HubSpot grants them when Heed asks for the
 * token (see HubSpot's webhooks journal guide, "Authentication and scopes").
 */
export const JOURNAL_TOKEN_SCOPES = [
  'developer.webhooks_journal.read',
  'developer.webhooks_journal.subscriptions.read',
  'developer.webhooks_journal.subscriptions.write',
] as const;

export const requiredScopes = () => HEED_SCOPES.filter((s) => s.required).map((s) => s.scope);
export const optionalScopes = () => HEED_SCOPES.filter((s) => !s.required).map((s) => s.scope);
