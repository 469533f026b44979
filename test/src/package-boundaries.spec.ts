/**
 * No deployable depends on another (docs/conventions.md §2): the control plane, the distiller and the device agent
 * share code only through libs/, and a lib never reaches up into a deployable. Reads every package's
 * package.json and sources, so a new cross-import fails here (and in ESLint's no-restricted-imports) rather than
 * in review. Tests (test/) and benchmarks (bench/) may start any deployable: they are not checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const APP_DIRS = [...readdirSync(join(ROOT, 'apps')).map((d) => join('apps', d)), 'device-agent'];
const LIB_DIRS = readdirSync(join(ROOT, 'libs')).map((d) => join('libs', d));

interface Pkg { dir: string; name: string; deps: string[] }
const read = (dir: string): Pkg => {
  const json = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string; dependencies?: object; devDependencies?: object };
  return { dir, name: json.name, deps: [...Object.keys(json.dependencies ?? {}), ...Object.keys(json.devDependencies ?? {})] };
};
const apps = APP_DIRS.map(read);
const libs = LIB_DIRS.map(read);

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    if (e === 'generated' || e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** Every package name a file imports (static, dynamic, re-export, require), deep paths reduced to the package. */
const importedPackages = (code: string): string[] =>
  [...code.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|import\s+)'(@edgefleet\/[\w-]+)/g)].map((m) => m[1]!);

function violations(pkg: Pkg, forbidden: Set<string>): string[] {
  const found = pkg.deps.filter((d) => forbidden.has(d)).map((d) => `${pkg.dir}/package.json depends on ${d}`);
  for (const file of sources(join(ROOT, pkg.dir, 'src'))) {
    for (const name of importedPackages(readFileSync(file, 'utf8'))) {
      if (forbidden.has(name)) found.push(`${relative(ROOT, file)} imports ${name}`);
    }
  }
  return found;
}

test('the scan sees every deployable and lib, and reads imports the way the code writes them', () => {
  assert.deepEqual(apps.map((a) => a.name).sort(), ['@edgefleet/control-plane', '@edgefleet/device-agent', '@edgefleet/distiller']);
  assert.ok(libs.some((l) => l.name === '@edgefleet/platform'), 'libs/platform is a lib');
  assert.deepEqual(importedPackages(`import { A } from '@edgefleet/control-plane';\nexport * from '@edgefleet/distiller/dist/x';\nconst m = await import('@edgefleet/platform');`),
    ['@edgefleet/control-plane', '@edgefleet/distiller', '@edgefleet/platform']);
});

test('no app imports another app', () => {
  const found = apps.flatMap((app) => violations(app, new Set(apps.map((a) => a.name).filter((n) => n !== app.name))));
  assert.deepEqual(found, []);
});

test('no lib imports an app', () => {
  const found = libs.flatMap((lib) => violations(lib, new Set(apps.map((a) => a.name))));
  assert.deepEqual(found, []);
});
