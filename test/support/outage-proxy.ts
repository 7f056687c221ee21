// A switchable HTTP proxy in front of a vendor stand-in (the fake Slack, the HubSpot simulator) on 127.0.0.1, so
// a test can take the vendor down and bring it back while Heed keeps the same URL: 'up' forwards, 'refuse' drops
// every connection without an answer (as an unreachable host does), a status answers it (503 …). Counts what it
// saw, so a scenario can say how often Heed knocked while the vendor was down.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'up' | 'refuse' | { status: number; body?: string };

export type OutageProxy = {
  url: string;
  mode: ProxyMode;
  /** Requests seen, by mode name ('up', 'refuse', '503', …) and by path. */
  seen: { byMode: Map<string, number>; byPath: Map<string, number> };
  close(): Promise<void>;
};

export async function startOutageProxy(target: string, initial: ProxyMode = 'up'): Promise<OutageProxy> {
  const upstream = new URL(target);
  const byMode = new Map<string, number>();
  const byPath = new Map<string, number>();
  const state = { mode: initial };
  const server: Server = createServer((req, res) => {
    const mode = state.mode;
    const name = typeof mode === 'string' ? mode : String(mode.status);
    byMode.set(name, (byMode.get(name) ?? 0) + 1);
    const path = (req.url ?? '/').split('?')[0]!;
    byPath.set(path, (byPath.get(path) ?? 0) + 1);
    if (mode === 'refuse') {
      req.socket.destroy();
      return;
    }
    if (mode !== 'up') {
      req.resume();
      req.on('end', () => {
        res.writeHead(mode.status, { 'content-type': 'text/plain' }).end(mode.body ?? 'unavailable');
      });
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    // Keeps the target's path (the fake Slack's Web API lives under /api/).
    url: `${base}${upstream.pathname === '/' ? '' : upstream.pathname}`,
    get mode() {
      return state.mode;
    },
    set mode(mode: ProxyMode) {
      state.mode = mode;
    },
    seen: { byMode, byPath },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
