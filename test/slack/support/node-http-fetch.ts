// A minimal fetch over node:http for talking to local servers in tests.
// Why: nock 15.0.0 patches globalThis.fetch, and a request it lets through to 127.0.0.1 fails with
// "TypeError: unusable" when it has a body (its interceptor reads the body before cloning the request).
// node:http passthrough works, so the Slack WebClient, Bolt's respond() and the tests' own signed requests
// use this instead (WebClient and Bolt take it as `clientOptions.fetch`).
import { request } from 'node:http';

export const nodeHttpFetch: typeof fetch = async (input, init) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  let body: Buffer | undefined;
  if (init?.body !== undefined && init.body !== null) {
    body =
      typeof init.body === 'string'
        ? Buffer.from(init.body)
        : init.body instanceof URLSearchParams
          ? Buffer.from(init.body.toString())
          : Buffer.from(await new Response(init.body as ConstructorParameters<typeof Response>[0]).arrayBuffer());
    if (init.body instanceof URLSearchParams && !headers['content-type']) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    headers['content-length'] = String(body.length);
  }
  return new Promise<Response>((resolve, reject) => {
    const req = request(url, { method: init?.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(', ') : value);
        }
        const status = res.statusCode ?? 500;
        const payload = status === 204 || status === 304 ? null : Buffer.concat(chunks);
        resolve(new Response(payload, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    init?.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
    if (body) req.write(body);
    req.end();
  });
};
