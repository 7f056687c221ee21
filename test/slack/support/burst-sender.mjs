// Sends a burst of prepared requests at once from its own process (no nock here, no shared event loop), as Slack
// would from elsewhere, and reports each answer's status and body.
process.once('message', async ({ url, requests }) => {
  const answers = await Promise.all(
    requests.map(async ({ body, headers }) => {
      const response = await fetch(url, { method: 'POST', headers, body });
      return { status: response.status, text: await response.text() };
    }),
  );
  process.send(answers);
});
