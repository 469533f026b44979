// Runs every compiled spec with node's built-in test runner.
// Unit specs live next to the code (`*.spec.ts`), integration and end-to-end tests in test/.
// Usage: node scripts/run-tests.mjs [substring filter ...]
//
// Two lanes run side by side:
// - the shared lane, one file at a time: files that use the machine's shared Mosquitto (127.0.0.1:1883). Several of
//   them play "the control plane" on it, and one control plane answering another file's devices would fail it. A
//   file is in this lane when its source names one of the shared-broker helpers (SHARED_LANE_MARKERS) or the port.
// - the isolated lane, TEST_CONCURRENCY files at a time (default 2 = this machine's cores): everything else. These
//   files start their own broker (embedded Aedes or a Mosquitto on a free port) and their own databases.
// TEST_CONCURRENCY=1 runs the isolated lane one file at a time as well (the lanes still overlap).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dists = ['libs/toolkit', 'libs/contracts', 'libs/db', 'libs/onnx', 'libs/distill', 'libs/jobs', 'libs/selection', 'libs/platform', 'libs/catalog', 'libs/distillation-worker', 'apps/control-plane', 'apps/distiller', 'device-agent', 'test']
  .map((p) => join(root, p, 'dist'));
/** The helpers through which a test reaches the shared Mosquitto (device-agent testing/test-env, control-plane
 * mqtt/testing/test-brokers, test/src/support), and its address. */
const SHARED_LANE_MARKERS = /\b(SHARED_BROKER|sharedBrokerSkip|sharedServicesMissing|testBrokers)\b|127\.0\.0\.1:1883/;

/** `<package>/dist/<path>.js` → `<package>/src/<path>.ts` (every package compiles src/ to dist/). */
const sourceOf = (compiled) => compiled.replace(/\/dist\/(?!.*\/dist\/)/, '/src/').replace(/\.js$/, '.ts');

function* walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* walk(p);
    // A compiled spec whose source was moved or deleted is a stale left-over of an earlier build: skip it.
    else if (/\.(spec|test|e2e)\.js$/.test(e) && existsSync(sourceOf(p))) yield p;
  }
}
const filters = process.argv.slice(2);
const files = dists.flatMap((d) => [...walk(d)])
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const shared = files.filter((f) => SHARED_LANE_MARKERS.test(readFileSync(sourceOf(f), 'utf8')));
const isolated = files.filter((f) => !shared.includes(f));
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);

/** Runs one lane; its output goes to stdout line by line (whole lines, so two lanes interleave readably). */
function lane(name, laneFiles, laneConcurrency) {
  if (laneFiles.length === 0) return Promise.resolve({ name, code: 0, totals: {} });
  const started = Date.now();
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${laneConcurrency}`, ...laneFiles],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const totals = {};
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      // The reporter's closing summary ("ℹ tests 12", "ℹ pass 12", …) is summed over both lanes below.
      const m = /^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line);
      if (m) totals[m[1]] = Number(m[2]);
      else if (!/^ℹ duration_ms /.test(line)) process.stdout.write(`${line}\n`);
    });
  }
  return new Promise((resolve) => child.on('close', (code, signal) =>
    resolve({ name, code: code ?? (signal ? 1 : 0), totals, seconds: (Date.now() - started) / 1000, files: laneFiles.length })));
}

const results = await Promise.all([lane('shared', shared, 1), lane('isolated', isolated, concurrency)]);
const sum = (k) => results.reduce((s, r) => s + (r.totals[k] ?? 0), 0);
for (const r of results.filter((x) => x.files)) {
  console.log(`ℹ lane ${r.name}: ${r.files} files, ${r.totals.tests ?? 0} tests, ${r.totals.fail ?? 0} failed, ${r.seconds.toFixed(0)} s`);
}
for (const k of ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo']) console.log(`ℹ ${k} ${sum(k)}`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
