// Runs every compiled spec with node's built-in test runner.
// Unit specs live next to the code (`*.spec.ts`), integration and end-to-end tests in test/.
// Usage: node scripts/run-tests.mjs [substring filter ...]
// Files run one at a time by default: several suites play "the control plane" on the shared Mosquitto at
// 127.0.0.1:1883, and one control plane answering another suite's block requests would fail it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dists = ['libs/toolkit', 'libs/contracts', 'libs/db', 'libs/onnx', 'libs/distill', 'libs/jobs', 'libs/selection', 'libs/platform', 'libs/catalog', 'libs/distillation-worker', 'apps/control-plane', 'apps/distiller', 'device-agent', 'test']
  .map((p) => join(root, p, 'dist'));

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
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 1}`, ...files],
  { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
