/**
 * The OpenAPI document is the contract: for every JSON request body it describes, values generated from its schema
 * (fast-check arbitraries built from /docs-json: required properties, bounds, enums, formats, lengths) are never
 * refused as malformed (400), and each single breakage of a valid body the schema forbids is. A client generated
 * from the document therefore sends what the server takes. Requests go through Fastify's inject (the whole Nest
 * pipeline, no socket); path ids are random UUIDs, so most operations answer 404/409/422 after validation — what
 * matters here is validation agreeing with the document.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { breakages, resolve, validArbitrary, type JsonSchema, type OpenApiDoc } from './testing/schema-arbitrary';

const RUNS = Number(process.env['CONTRACT_RUNS'] ?? 15);

describe('OpenAPI contract (PGlite)', () => {
  let dir: string;
  let cp: ControlPlane;
  let doc: OpenApiDoc;
  let bodies: Array<{ method: string; path: string; schema: JsonSchema }>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-contract-'));
    cp = await startControlPlane({
      PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', DATA_DIR: dir, AUTOPILOT_ENABLED: 'false', EMBEDDED_WORKER: 'false', RATE_LIMIT_MAX: '0',
    });
    doc = JSON.parse((await cp.app.inject({ method: 'GET', url: '/docs-json' })).body) as OpenApiDoc;
    bodies = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).flatMap(([method, op]) => {
      // API-key operations (the broker's callbacks authenticate with their own secret, before validation).
      const schema = op.requestBody?.content['application/json']?.schema;
      return schema && op.security?.some((s) => 'bearer' in s) ? [{ method: method.toUpperCase(), path, schema }] : [];
    }));
  });
  after(async () => {
    await cp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const send = async (method: string, path: string, body: unknown, id: string) => {
    const url = path.replace(/\{[^}]+\}/g, id);
    const res = await cp.app.inject({ method: method as 'POST', url, payload: JSON.stringify(body), headers: { authorization: `Bearer ${cp.adminApiKey}`, 'content-type': 'application/json' } });
    return { status: res.statusCode, body: res.body };
  };

  it('every schema name is one class (two DTOs of one name would make one of them lie)', () => {
    // Nest keys schemas by class name: a second class of the same name silently replaces the first. The document
    // must then still describe each body by its own properties — checked by the runs below — and the names the
    // issue found doubled are now distinct.
    const names = Object.keys(doc.components?.schemas ?? {});
    assert.ok(names.includes('TargetBudgetDto') && names.includes('StudentBudgetDto'));
    assert.deepEqual(Object.keys(resolve(doc, { $ref: '#/components/schemas/TargetBudgetDto' }).properties ?? {}).sort(), ['maxLatencyP95Ms', 'maxMemoryMb', 'minAccuracy']);
    assert.ok(bodies.length >= 10, `JSON bodies documented: ${bodies.length}`);
    const dangling = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!).filter((n) => !names.includes(n));
    assert.deepEqual([...new Set(dangling)], [], 'every $ref names a schema of the document');
  });

  it('a body generated from the document is never refused as malformed', async () => {
    const failures: string[] = [];
    for (const b of bodies) {
      const out = await fc.check(fc.asyncProperty(validArbitrary(doc, b.schema), fc.uuid({ version: 4 }), async (body, id) => {
        const r = await send(b.method, b.path, body, id);
        if (r.status === 400 || r.status >= 500) throw new Error(`${b.method} ${b.path} ${JSON.stringify(body)} → ${r.status} ${r.body}`);
      }), { numRuns: RUNS });
      if (out.failed) failures.push(String((out.errorInstance as Error | undefined)?.message ?? out.counterexample));
    }
    assert.deepEqual(failures, []);
  });

  it('a body the document forbids is refused with 400', async () => {
    const failures: string[] = [];
    for (const b of bodies) {
      const s = resolve(doc, b.schema);
      if (s.type !== 'object' && !s.properties && !s.allOf) continue;
      const [valid] = fc.sample(validArbitrary(doc, b.schema), { numRuns: 1, seed: 7 }) as [Record<string, unknown>];
      for (const broken of breakages(doc, b.schema, valid)) {
        const r = await send(b.method, b.path, broken.value, '00000000-0000-4000-8000-000000000000');
        if (r.status !== 400) failures.push(`${b.method} ${b.path} with ${broken.what}: ${JSON.stringify(broken.value)} → ${r.status} ${r.body}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
