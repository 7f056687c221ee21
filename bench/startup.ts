// `npm run bench:startup` (node bench/startup.ts): how fast `heed` comes up, before and after issue 17.
//
//  1. `heed --help`: the whole command module graph loaded, the overview printed, exit.
//  2. `heed start` until GET /healthz answers 200 (a SQLite file in a temp folder, already migrated by one
//     unmeasured run; no policy file and no tokens, as on a fresh install), and the idle RSS a few seconds later.
//
// Each is run HEED_BENCH_RUNS times (default 10) after one unmeasured warm-up run, and the median is printed
// with the range, as wall time and as CPU time (user + system of the heed process): on a shared 2-core machine
// wall time mostly measures waiting for a core, CPU time what the start-up costs.
//
// "after" is this checkout on the Node running the bench (24, type stripping). "before" is the commit before
// issue 17 (tsx on Node 20): its sources are exported with `git archive` into the cache folder and installed
// there once with that Node (better-sqlite3 12 builds from source, about 4 minutes the first time). Settings:
//   HEED_BENCH_BASELINE       a git ref, or `none` to measure this checkout only (default: the parent of the
//                             commit that took tsx out of bin/heed.js)
//   HEED_BENCH_BASELINE_NODE  the Node that runs the baseline (default /usr/bin/node, the machine's Node 20)
//   HEED_BENCH_IDLE_MS        how long `heed start` idles before its RSS is read (default 3000)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.HEED_BENCH_RUNS ?? 10);
const IDLE_MS = Number(process.env.HEED_BENCH_IDLE_MS ?? 3000);
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

type Variant = { label: string; node: string; root: string };
type Sample = { wallMs: number; cpuMs: number };
type StartSample = Sample & { rssMb: number };

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ the baseline checkout

function baselineRef(): string | undefined {
  const wanted = process.env.HEED_BENCH_BASELINE;
  if (wanted === 'none') return undefined;
  if (wanted) return git('rev-parse', '--verify', `${wanted}^{commit}`);
  // The commit that removed tsx from the `heed` command; the baseline is the one before it.
  const removal = git('log', '-1', '--format=%H', '-S', 'tsx/esm/api', '--', 'bin/heed.js');
  if (!removal) throw new Error('bench:startup: no commit took tsx out of bin/heed.js; set HEED_BENCH_BASELINE');
  return git('rev-parse', `${removal}^`);
}

function prepareBaseline(ref: string, node: string): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const dir = join(cache, 'heed', `bench-baseline-${ref.slice(0, 12)}`);
  const ready = join(dir, '.bench-ready');
  if (existsSync(ready)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`preparing the baseline ${ref.slice(0, 12)} in ${dir} (once; a native build, minutes)…`);
  execFileSync('bash', ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', '_', ref, dir], { cwd: ROOT });
  // Its own Node on PATH and no nodedir from a Node 24 shell: better-sqlite3 must build against that Node.
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(node, '..')}:${process.env.PATH}` };
  delete env.npm_config_nodedir;
  // npm install, not npm ci: the lockfile of that time lacked Biome's other-platform binaries and npm ci refused it.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(ready, `${new Date().toISOString()}\n`);
  return dir;
}

// ------------------------------------------------------------------ measurements

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** `heed --help` through bash, which reports the child's wall time and its user + system CPU time. */
function helpOnce(variant: Variant): Sample {
  const script = [
    'start=$EPOCHREALTIME',
    '"$@" >/dev/null 2>&1 || exit 1',
    'end=$EPOCHREALTIME',
    'echo "$start $end"',
    'times',
  ].join('\n');
  const out = execFileSync('bash', ['-c', script, '_', variant.node, join(variant.root, 'bin', 'heed.js'), '--help'], {
    cwd: variant.root,
    env: cleanEnv({}),
    encoding: 'utf8',
  });
  const [wall, , children] = out.trim().split('\n');
  const [start, end] = wall!.split(' ').map(Number);
  // `times` prints "0m0.612s 0m0.104s" (user, system) for the children on its second line.
  const cpu = children!.split(' ').map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    if (!m) throw new Error(`bench:startup: cannot read \`times\` output: ${out}`);
    return Number(m[1]) * 60_000 + Number(m[2]) * 1000;
  });
  return { wallMs: (end! - start!) * 1000, cpuMs: cpu[0]! + cpu[1]! };
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // What a fresh shell would have: no tokens or settings leak in from the developer's environment.
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function healthz(port: number): Promise<boolean> {
  return new Promise((resolveCheck) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolveCheck(res.statusCode === 200);
    });
    req.on('error', () => resolveCheck(false));
    req.on('timeout', () => {
      req.destroy();
      resolveCheck(false);
    });
    req.end();
  });
}

/** user + system CPU of a running process, from /proc (clock ticks). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the line (utime, stime); after the ")" the first field is the 3rd.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function rssMbOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function startOnce(variant: Variant, databaseUrl: string, cwd: string): Promise<StartSample> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(variant.node, [join(variant.root, 'bin', 'heed.js'), 'start', '--port', String(port)], {
    cwd,
    env: cleanEnv({ DATABASE_URL: databaseUrl }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  try {
    const deadline = started + 60_000;
    while (!(await healthz(port))) {
      if (child.exitCode !== null) throw new Error(`heed start exited with ${child.exitCode}: ${stderr}`);
      if (performance.now() > deadline) throw new Error(`heed start: no /healthz within 60 s: ${stderr}`);
      await sleep(10);
    }
    const wallMs = performance.now() - started;
    const cpuMs = cpuMsOf(child.pid!);
    await sleep(IDLE_MS);
    return { wallMs, cpuMs, rssMb: rssMbOf(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

type Result = { help: Sample[]; start: StartSample[] };

/**
 * Runs the variants in turn (A B A B …) rather than one after the other, so that a change in the machine's load
 * (other processes on a shared machine) falls on both alike.
 */
async function measure(variants: Variant[]): Promise<Result[]> {
  const results: Result[] = variants.map(() => ({ help: [], start: [] }));
  process.stdout.write(`heed --help: ${RUNS + 1} rounds`);
  for (const variant of variants) helpOnce(variant); // warm-up: file-system cache, tsx's and Node's compile caches
  for (let i = 0; i < RUNS; i += 1) {
    for (const [v, variant] of variants.entries()) results[v]!.help.push(helpOnce(variant));
  }
  process.stdout.write(`; heed start: ${RUNS + 1} rounds`);
  const dirs = variants.map(() => mkdtempSync(join(tmpdir(), 'heed-bench-startup-')));
  try {
    const urls = dirs.map((dir) => `file:${join(dir, 'heed.db')}`);
    // Warm-up, which also migrates each variant's new database: the measured starts find it up to date.
    for (const [v, variant] of variants.entries()) await startOnce(variant, urls[v]!, dirs[v]!);
    for (let i = 0; i < RUNS; i += 1) {
      for (const [v, variant] of variants.entries())
        results[v]!.start.push(await startOnce(variant, urls[v]!, dirs[v]!));
    }
    process.stdout.write(' — done\n');
    return results;
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ report

function cell(values: number[], unit: string): string {
  const digits = unit === 'MB' ? 1 : 0;
  return `${median(values).toFixed(digits)} ${unit} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

function report(after: { variant: Variant; result: Result }, before?: { variant: Variant; result: Result }) {
  const rows: [string, (r: Result) => number[], string][] = [
    ['heed --help, wall', (r) => r.help.map((s) => s.wallMs), 'ms'],
    ['heed --help, CPU', (r) => r.help.map((s) => s.cpuMs), 'ms'],
    ['heed start → /healthz, wall', (r) => r.start.map((s) => s.wallMs), 'ms'],
    ['heed start → /healthz, CPU', (r) => r.start.map((s) => s.cpuMs), 'ms'],
    [`heed start idle RSS (${IDLE_MS / 1000} s later)`, (r) => r.start.map((s) => s.rssMb), 'MB'],
  ];
  const header = [
    '',
    before ? `before: ${before.variant.label}` : '',
    `after: ${after.variant.label}`,
    before ? 'after/before' : '',
  ];
  const table = [
    header,
    ...rows.map(([name, pick, unit]) => {
      const a = pick(after.result);
      const b = before ? pick(before.result) : undefined;
      return [name, b ? cell(b, unit) : '', cell(a, unit), b ? `${(median(a) / median(b)).toFixed(2)}×` : ''];
    }),
  ];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  console.log(
    `\nmedian (min–max) of ${RUNS} runs each; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
  );
  for (const row of table)
    console.log(
      row
        .map((text, c) => text.padEnd(widths[c]!))
        .join('   ')
        .trimEnd(),
    );
}

async function main(): Promise<void> {
  const after: Variant = { label: `Node ${process.version}, type stripping`, node: process.execPath, root: ROOT };
  let baseline: Variant | undefined;
  const ref = baselineRef();
  const baselineNode = process.env.HEED_BENCH_BASELINE_NODE ?? '/usr/bin/node';
  if (ref && !existsSync(baselineNode)) {
    console.log(
      `no baseline: ${baselineNode} does not exist (set HEED_BENCH_BASELINE_NODE, or HEED_BENCH_BASELINE=none)`,
    );
  } else if (ref) {
    const version = execFileSync(baselineNode, ['--version'], { encoding: 'utf8' }).trim();
    baseline = {
      label: `${ref.slice(0, 7)}, tsx on Node ${version}`,
      node: baselineNode,
      root: prepareBaseline(ref, baselineNode),
    };
  }
  console.log(`heed startup benchmark — ${RUNS} runs of each after one warm-up, ${cpus().length} CPUs`);
  const variants = baseline ? [baseline, after] : [after];
  const results = await measure(variants);
  const before = baseline ? { variant: baseline, result: results[0]! } : undefined;
  report({ variant: after, result: results[results.length - 1]! }, before);
}

await main();
