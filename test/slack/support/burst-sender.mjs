// Sends a burst of prepared requests at once from its own process (no nock here, no shared event loop), as Slack
// would from elsewhere, and reports each answer's status and body. It says 'ready' once booted (a loaded machine
// takes a while to start a process: the burst must not depend on that), and creates the file `written` once every
// request has been handed to the kernel, so a parent holding its own loop can hold it exactly until then.

import { writeFileSync } from 'node:fs';
import { request } from 'node:http';

process.once('message', async ({ url, requests, written }) => {
  let flushed = 0;
  const answers = await Promise.all(
    requests.map(
      ({ body, headers }) =>
        new Promise((resolve, reject) => {
          // A connection per request, as Slack's requests come from many places.
          const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode, text }));
          });
          req.on('error', reject);
          req.on('finish', () => {
            if (++flushed === requests.length) writeFileSync(written, '');
          });
          req.end(body);
        }),
    ),
  );
  process.send(answers);
});
process.send('ready');
