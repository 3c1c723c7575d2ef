/**
 * The docs cannot drift: every ```sh block of README.md and docs/walkthrough.md runs,
 * in order, as a newcomer would paste it — one bash session per document, from the
 * repository root, on a fresh DATA_DIR (the embedded database) and a free PORT — and
 * must exit 0.
 *
 * - A block that is not meant to run (installs, production setups, placeholders with
 *   `…`, the test suite itself) is marked in the markdown by the line before it:
 *   `<!-- not-run: why -->`. Every unmarked block runs.
 * - `localhost:3000` and `127.0.0.1:3000` in a block are this run's PORT.
 * - `set -e -o pipefail`: a failing command fails its block. curl runs with
 *   `--fail-with-body` (a .curlrc in CURL_HOME), so an HTTP error fails it too.
 * - A block that starts the server (`npm start &`) first stops the servers earlier
 *   blocks started, as a reader does before starting another. Every process the run
 *   started is stopped at the end (found by an environment variable of its own).
 * - A block that would change the checkout or the machine (npm ci/install, git, rm -rf,
 *   docker, the test suite itself) must be marked: the test refuses to run any document
 *   with such a block unmarked, before running anything.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DOCUMENTS = ['README.md', 'docs/walkthrough.md'];
/** Per document: a few server starts, seed-demo and the calls, on a busy two-core machine. */
const DOCUMENT_TIMEOUT_MS = 240_000;

t.setTimeout(DOCUMENTS.length * DOCUMENT_TIMEOUT_MS + 60_000);

export interface ShellBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  notRun?: string;
}

/** The fenced ```sh (or bash, shell) blocks of a markdown text, with their not-run markers. */
export function shellBlocks(file: string, markdown: string): { blocks: ShellBlock[]; strayMarkers: number[] } {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  const strayMarkers: number[] = [];
  let pendingMarker: { reason: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const marker = /^\s*<!--\s*not-run:\s*(.*?)\s*-->\s*$/.exec(text);
    if (marker) {
      if (pendingMarker) strayMarkers.push(pendingMarker.line);
      pendingMarker = { reason: marker[1]!, line: i + 1 };
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(text);
    if (fence) {
      const [, , ticks, lang] = fence;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(ticks!); i++) body.push(lines[i]!);
      if (['sh', 'bash', 'shell'].includes(lang!)) {
        blocks.push({ file, line: start + 1, code: body.join('\n'), ...(pendingMarker ? { notRun: pendingMarker.reason } : {}) });
      } else if (pendingMarker) {
        strayMarkers.push(pendingMarker.line);
      }
      pendingMarker = undefined;
      continue;
    }
    if (text.trim() !== '' && pendingMarker) {
      strayMarkers.push(pendingMarker.line);
      pendingMarker = undefined;
    }
  }
  if (pendingMarker) strayMarkers.push(pendingMarker.line);
  return { blocks, strayMarkers };
}

/** Commands that must not run from the docs test: they change the checkout or the machine, or recurse. */
export const MUST_BE_MARKED = /\bnpm\s+(ci|i|install|test|run\s+bench)\b|\bnpx\s+tap\b|\bgit\s|\brm\s+-\w*r|\bdocker\b|\.ci\/run|\bsudo\b|\bapt(-get)?\s/;

const STARTS_SERVER = /(^|[;&|]\s*|\s)npm\s+start\b[^\n]*&\s*(#.*)?$/m;

/** One bash script for a document's runnable blocks, reporting progress on fd 3. */
export function documentScript(blocks: ShellBlock[], port: number): string {
  const out = [
    'set -e -o pipefail',
    // Background jobs in process groups of their own, so that stopping one stops npm, tsx and node.
    'set -m',
    'exec 3>>"$HETAO_PROGRESS"',
    '__stop_servers() { local g; for g in $(jobs -p); do kill -TERM -- "-$g" 2>/dev/null || true; done; wait 2>/dev/null || true; }',
    "trap '__stop_servers' EXIT",
    "trap 'exit 143' TERM INT",
  ];
  blocks.forEach((b, i) => {
    const code = b.code.replace(/\b(localhost|127\.0\.0\.1):3000\b/g, `$1:${port}`);
    if (STARTS_SERVER.test(b.code)) out.push('__stop_servers');
    out.push(`echo "start ${i}" >&3`, code, `echo "end ${i}" >&3`);
  });
  return `${out.join('\n')}\n`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The processes whose environment carries this run's marker: bash and everything it started, in any process group. */
function processesOf(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function stopAll(marker: string): Promise<number> {
  let found = processesOf(marker);
  const count = found.length;
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    for (const pid of found) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    found = processesOf(marker);
    if (found.length === 0) break;
  }
  return count;
}

async function runDocument(t: Test, file: string): Promise<void> {
  const { blocks, strayMarkers } = shellBlocks(file, readFileSync(join(ROOT, file), 'utf8'));
  t.same(strayMarkers, [], `${file}: every <!-- not-run: … --> marker stands right before a shell block`);
  for (const b of blocks.filter((x) => x.notRun !== undefined)) {
    t.ok(b.notRun!.length >= 3, `${file}:${b.line} not run: ${b.notRun}`);
  }
  const runnable = blocks.filter((b) => b.notRun === undefined);
  t.ok(runnable.length > 0, `${file} has shell blocks to run`);
  const unsafe = runnable.filter((b) => MUST_BE_MARKED.test(b.code)).map((b) => `${file}:${b.line}`);
  t.same(unsafe, [], `${file}: no unmarked block changes the checkout or the machine (mark it <!-- not-run: why -->)`);
  if (unsafe.length > 0) return;

  const dir = mkdtempSync(join(tmpdir(), 'hetao-docs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, '.curlrc'), 'fail-with-body\nshow-error\n');
  const progressFile = join(dir, 'progress');
  writeFileSync(progressFile, '');
  const scriptFile = join(dir, 'doc.sh');
  writeFileSync(scriptFile, documentScript(runnable, port));
  // A newcomer's shell: no database URL, no secrets, nothing of the test run's.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? dir,
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: join(dir, 'data'),
    PORT: String(port),
    TMPDIR: join(dir, 'tmp'),
    CURL_HOME: dir,
    HETAO_PROGRESS: progressFile,
  };
  const marker = `HETAO_PROGRESS=${progressFile}`;

  const started = Date.now();
  const child = spawn('bash', [scriptFile], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }, DOCUMENT_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  const progress = readFileSync(progressFile, 'utf8');
  // Whatever the script left running (a foreground command at a timeout, a server its trap missed).
  const leftover = await stopAll(marker);
  if (leftover > 0) t.comment(`${file}: stopped ${leftover} processes the session left running`);
  t.comment(`${file}: ${runnable.length} blocks in ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code}${timedOut ? ' (timed out)' : ''}`);

  const ended = new Set([...progress.matchAll(/^end (\d+)/gm)].map((m) => Number(m[1])));
  const startedBlocks = new Set([...progress.matchAll(/^start (\d+)/gm)].map((m) => Number(m[1])));
  const tail = output.slice(-4000);
  runnable.forEach((b, i) => {
    const first = b.code.split('\n')[0]!.slice(0, 80);
    if (ended.has(i)) t.pass(`${file}:${b.line} ran (${first})`);
    else if (startedBlocks.has(i)) t.fail(`${file}:${b.line} failed (exit ${code}${timedOut ? ', timed out' : ''}): ${first}`, { output: tail });
    else t.fail(`${file}:${b.line} not reached: an earlier block failed`);
  });
  t.equal(code, 0, `${file}: the session exits 0`, code === 0 ? {} : { output: tail });
}

const missing = ['bash', 'curl', 'jq'].filter((cmd) => !process.env.PATH?.split(':').some((d) => existsSync(join(d, cmd))));
t.same(missing, [], 'the docs need bash, curl and jq on the PATH (apt-get install jq)');

for (const file of DOCUMENTS) {
  await t.test(file, (t) => runDocument(t, file));
}
