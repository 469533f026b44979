// Build everything a fresh clone needs, offline: the Prisma client, then all TypeScript projects.
// Both steps are incremental, so `npm start` / `npm test` stay fast after the first run.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, env = {}) => {
  // stdout of the build goes to stderr so commands with --json keep a clean stdout.
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2], env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
};

const schema = join(root, 'prisma/schema.prisma');
if (existsSync(schema)) {
  const stamp = join(root, 'libs/db/src/generated/.schema-hash');
  const hash = createHash('sha256').update(readFileSync(schema)).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== hash) {
    // `prisma generate` wants a native schema engine path but never runs it; any existing file will do.
    // This keeps generation offline (the engine download is unreachable here).
    run(process.execPath, [join(root, 'node_modules/prisma/build/index.js'), 'generate', '--schema', schema], {
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    });
    mkdirSync(dirname(stamp), { recursive: true });
    writeFileSync(stamp, hash);
  }
}
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.json']);

// The web dashboard (apps/control-plane/ui): type-checked, then bundled by Vite into ui/dist, which the control plane
// serves at /ui/. Skipped when neither its sources nor the lock file changed since the last bundle.
const ui = join(root, 'apps/control-plane/ui');
if (existsSync(join(ui, 'index.html'))) {
  const hash = createHash('sha256');
  const add = (dir) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (e === 'dist' || e === 'node_modules') continue;
      if (statSync(p).isDirectory()) add(p);
      else hash.update(relative(ui, p)).update(readFileSync(p));
    }
  };
  add(ui);
  hash.update(readFileSync(join(root, 'package-lock.json')));
  const digest = hash.digest('hex');
  const stamp = join(ui, 'dist/.build-hash');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(ui, 'tsconfig.json')]);
    run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(ui, 'vite.config.mjs')]);
    writeFileSync(stamp, digest);
  }
}
