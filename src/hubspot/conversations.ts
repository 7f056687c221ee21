// The conversations inbox endpoints Heed calls (2026-09), over HubspotApi (limits, retries, validation). Pages
// come back with their records raw: ./conversation-map.ts maps them, rejecting bad ones one by one.
import { paths } from './api-version.ts';
import type { HubspotApi } from './client.ts';
import { type TMessagesPage, type TThreadsPage, ZMessagesPage, ZThreadsPage } from './conversation-schemas.ts';

/**
 * One page of threads whose newest message is after `since`, oldest first (HubSpot sorts by
 * latestMessageTimestamp only together with latestMessageTimestampAfter), each with its ticket association.
 */
export async function listThreadsPage(
  api: HubspotApi,
  request: { since: number; after?: string | undefined; limit?: number },
): Promise<TThreadsPage> {
  const query: [string, string][] = [
    ['sort', 'latestMessageTimestamp'],
    ['latestMessageTimestampAfter', new Date(request.since).toISOString()],
    ['association', 'TICKET'],
    ['limit', String(request.limit ?? 100)],
  ];
  if (request.after) query.push(['after', request.after]);
  return (await api.request({ method: 'GET', path: paths.threads(), query }, ZThreadsPage, [200])).data;
}

/**
 * One page of a thread's entries, newest first (HubSpot's default order, asked for explicitly). A thread that is
 * gone (deleted since it was listed) answers HUBSPOT_NOT_FOUND.
 */
export async function listThreadMessagesPage(
  api: HubspotApi,
  threadId: string,
  request: { after?: string | undefined; limit?: number } = {},
): Promise<TMessagesPage> {
  const query: [string, string][] = [
    ['sort', '-createdAt'],
    ['limit', String(request.limit ?? 100)],
  ];
  if (request.after) query.push(['after', request.after]);
  return (
    await api.request(
      {
        method: 'GET',
        path: paths.threadMessages(threadId),
        query,
        notFound: 'object',
        countAs: paths.threadMessages('{threadId}').replace('%7BthreadId%7D', '{threadId}'),
      },
      ZMessagesPage,
      [200],
    )
  ).data;
}
