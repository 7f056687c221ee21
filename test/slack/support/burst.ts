// A burst of requests from another process while this one's loop is held, without timing guesses: the sender is
// started and ready before the burst, and the loop is held until every request has been handed to the kernel
// (then for `atLeastMs` in all), so the server finds all of them waiting at once however loaded the machine is.
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type BurstRequest = { body: string; headers: Record<string, string> };
export type BurstAnswer = { status: number; text: string };

/** Sends `requests` to `url` at once from a child process, holding this loop busy until all are written. */
export async function burstWhileHeld(
  url: string,
  requests: BurstRequest[],
  atLeastMs: number,
): Promise<{ answers: Promise<BurstAnswer[]>; kill: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'heed-burst-'));
  const written = join(dir, 'written');
  const sender = fork(join(import.meta.dirname, 'burst-sender.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const kill = () => {
    sender.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  await new Promise<void>((resolve, reject) => {
    sender.once('message', () => resolve());
    sender.once('exit', (code) => reject(new Error(`the burst sender exited (${code}) before it was ready`)));
  });
  const answers = new Promise<BurstAnswer[]>((resolve) => sender.once('message', (m) => resolve(m as BurstAnswer[])));
  // Handed to the pipe before the hold (a message still queued would wait for the loop, and so the burst too).
  await new Promise<void>((resolve, reject) =>
    sender.send({ url, requests, written }, (error) => (error ? reject(error) : resolve())),
  );
  // Busy, as a Heed in the middle of other work. The sender writes while this loop is held; a generous deadline
  // so a sender that failed shows as a failed assertion, not a hung test.
  const held = performance.now();
  while (!existsSync(written) || performance.now() - held < atLeastMs) {
    if (performance.now() - held > 20_000) break;
  }
  return { answers, kill };
}
