// `node scripts/container-check.ts`: runs the Dockerfile's final stage without Docker (no engine here), so CI tests
// the exact command the container runs. It reads the Dockerfile and, in a temporary folder standing for /app:
//   COPY          copies the same files (`--from=build` ones from this checkout, where `npm ci` generated them)
//   RUN npm …     runs the same npm command (production dependencies only); other RUN lines are image-only
//   ENV           sets the same environment (PORT is moved to a free port)
//   USER          runs as an unprivileged user (nobody) when started as root: the app may write only to data/
//   CMD           starts that command line, then runs the HEALTHCHECK command until it passes
// and checks that no dev dependency was installed, that the SQLite file landed in the data volume, and that
// SIGTERM stops the process cleanly (exit 0), as `docker stop` would.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const WORKDIR_IN_IMAGE = '/app';

type Step = { copy: { from?: string; sources: string[]; dest: string } } | { npm: string };

type Stage = {
  steps: Step[];
  env: Record<string, string>;
  user?: string;
  volumes: string[];
  healthcheck: string[];
  cmd: string[];
};

function fail(message: string): never {
  console.error(`container check: ${message}`);
  process.exit(1);
}

/** The last stage of the Dockerfile, one instruction a line (the Dockerfile keeps to that). */
function finalStage(): Stage {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  const stage: Stage = { steps: [], env: {}, volumes: [], healthcheck: [], cmd: [] };
  for (const line of lines.slice(lastFrom + 1)) {
    const [, instruction = '', rest = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction.toUpperCase()) {
      case 'WORKDIR':
        if (rest !== WORKDIR_IN_IMAGE) fail(`WORKDIR ${rest}: this check stands a temp folder for ${WORKDIR_IN_IMAGE}`);
        break;
      case 'COPY': {
        const words = rest.split(/\s+/);
        const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
        const dest = words.pop()!;
        stage.steps.push({ copy: { ...(from ? { from } : {}), sources: words, dest } });
        break;
      }
      case 'RUN':
        if (/^npm\s/.test(rest)) stage.steps.push({ npm: rest });
        else console.log(`container check: image-only, not run here: RUN ${rest}`);
        break;
      case 'ENV':
        for (const pair of rest.match(/\S+=("[^"]*"|\S+)/g) ?? []) {
          const at = pair.indexOf('=');
          stage.env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, '$1');
        }
        break;
      case 'USER':
        stage.user = rest;
        break;
      case 'VOLUME':
        stage.volumes.push(...(JSON.parse(rest) as string[]));
        break;
      case 'HEALTHCHECK': {
        const json = /\bCMD\s+(\[.*\])$/.exec(rest);
        if (!json) fail('HEALTHCHECK must use the exec form: CMD ["…", …]');
        stage.healthcheck = JSON.parse(json[1]!) as string[];
        break;
      }
      case 'CMD':
        stage.cmd = JSON.parse(rest) as string[];
        break;
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        fail(`unhandled instruction in the final stage: ${line}`);
    }
  }
  if (stage.cmd.length === 0 || stage.healthcheck.length === 0) fail('the final stage needs CMD and HEALTHCHECK');
  return stage;
}

/** A path in the image (/app/x or x relative to WORKDIR) → the same path in the staging folder. */
function inStaging(staging: string, imagePath: string): string {
  const relative = imagePath.startsWith(`${WORKDIR_IN_IMAGE}/`)
    ? imagePath.slice(WORKDIR_IN_IMAGE.length + 1)
    : imagePath;
  return join(staging, relative);
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const stage = finalStage();
  const staging = mkdtempSync(join(tmpdir(), 'heed-container-'));
  chmodSync(staging, 0o755);
  try {
    // Files and npm commands, in the Dockerfile's order. `--from=build` paths are the build stage's /app: this
    // checkout, where `npm ci` has generated the Prisma clients just as the build stage does.
    for (const step of stage.steps) {
      if ('npm' in step) {
        // The install itself; a trailing `npm cache clean` only slims the image (and must not empty this
        // machine's npm cache).
        for (const command of step.npm.split('&&').map((part) => part.trim())) {
          if (!/^npm ci\s/.test(command)) {
            console.log(`container check: image-only, not run here: ${command}`);
            continue;
          }
          console.log(`container check: RUN ${command}`);
          execFileSync('bash', ['-c', command], {
            cwd: staging,
            env: { ...process.env, ...stage.env },
            stdio: ['ignore', 'inherit', 'inherit'],
          });
        }
        continue;
      }
      const { copy } = step;
      const intoFolder = copy.dest.endsWith('/') || copy.sources.length > 1;
      for (const source of copy.sources) {
        const from = copy.from ? inStaging(ROOT, source) : join(ROOT, source);
        if (!existsSync(from)) fail(`COPY ${source}: not found in the checkout (${from})`);
        const target = intoFolder
          ? join(inStaging(staging, copy.dest), basename(source))
          : inStaging(staging, copy.dest);
        cpSync(from, target, { recursive: true });
      }
    }
    for (const dev of ['prisma', 'vitest', '@biomejs/biome', 'typescript']) {
      if (existsSync(join(staging, 'node_modules', dev))) fail(`the production install contains ${dev}`);
    }
    const packages = readdirSync(join(staging, 'node_modules')).filter((name) => !name.startsWith('.')).length;

    // Run as an unprivileged user when we are root, with its own copy of this Node (the cached one may sit in a
    // folder that user cannot enter). The data volume is the one folder it owns.
    const asRoot = process.getuid?.() === 0 && stage.user !== undefined && stage.user !== 'root';
    const ids = asRoot
      ? {
          uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
          gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
        }
      : undefined;
    let path = process.env.PATH ?? '';
    if (ids) {
      const bin = join(staging, '.node', 'bin');
      mkdirSync(bin, { recursive: true });
      cpSync(process.execPath, join(bin, 'node'));
      path = `${bin}:${path}`;
    }
    for (const volume of stage.volumes) {
      const dir = inStaging(staging, volume);
      mkdirSync(dir, { recursive: true });
      if (ids) chownSync(dir, ids.uid, ids.gid);
    }
    const port = await freePort();
    // What `docker run -e …` (or compose's environment) gives a real deployment: heed start refuses to run
    // without its tokens. The vendors' addresses point at a closed local port, so nothing leaves the machine and
    // Heed degrades as it does in an outage — /healthz answers, /readyz names Slack and HubSpot.
    const deployment = {
      SLACK_BOT_TOKEN: 'xoxb-container-check-0000000000',
      SLACK_SIGNING_SECRET: 'container-check-signing-secret-00',
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-container-check-0000-1111',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      HUBSPOT_API_URL: 'http://127.0.0.1:9',
    };
    const env = { PATH: path, ...deployment, ...stage.env, PORT: String(port), LOG_LEVEL: 'warn' };
    console.log(
      `container check: CMD ${JSON.stringify(stage.cmd)} in ${staging} as ${ids ? 'nobody' : 'the current user'}, ` +
        `${packages} production packages, PORT=${port}`,
    );
    const started = performance.now();
    const app = spawn(stage.cmd[0]!, stage.cmd.slice(1), {
      cwd: staging,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...ids,
    });
    let output = '';
    app.stdout.on('data', (chunk) => (output += chunk));
    app.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolveExit) => app.once('exit', resolveExit));
    try {
      let healthy = false;
      while (!healthy) {
        if (app.exitCode !== null) fail(`the app exited with ${app.exitCode} before it was healthy:\n${output}`);
        if (performance.now() - started > 60_000) fail(`HEALTHCHECK did not pass within 60 s:\n${output}`);
        const check = spawnSync(stage.healthcheck[0]!, stage.healthcheck.slice(1), {
          cwd: staging,
          env,
          timeout: 5000,
          ...ids,
        });
        healthy = check.status === 0;
        if (!healthy) await sleep(250);
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const body = await (await fetch(`http://127.0.0.1:${port}/healthz`)).text();
      console.log(`container check: HEALTHCHECK passed after ${seconds} s; /healthz answered ${body}`);
      const database = stage.env.DATABASE_URL?.startsWith('file:')
        ? inStaging(staging, stage.env.DATABASE_URL.slice(5))
        : undefined;
      if (database && !existsSync(database))
        fail(`the SQLite file ${stage.env.DATABASE_URL} is not in the data volume`);
      if (/Warning/.test(output)) fail(`the app printed a warning:\n${output}`);
    } finally {
      app.kill('SIGTERM');
    }
    const timer = setTimeout(() => app.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    if (code !== 0) fail(`SIGTERM: exit ${code} (expected a clean 0):\n${output}`);
    console.log('container check: SIGTERM stopped it cleanly (exit 0)');
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

await main();
