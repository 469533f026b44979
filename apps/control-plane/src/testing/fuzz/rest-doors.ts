/**
 * One door per REST operation, enumerated from the OpenAPI document the control plane serves (/docs-json), so
 * a new route is fuzzed without touching this file. Inputs: hostile path ids, query values and bodies (shaped
 * like the operation's schema, then mutated; or any JSON; or too deep; or not JSON). Property: never a 5xx.
 * Requests go through Fastify's inject (the whole Nest pipeline, no socket) to afford ≥ 1,000 per operation.
 */
import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { deepJson, mutate, nastyNumber, nastyString, nastyValue } from './hostile';
import { registerDoors, type FuzzDoor, type Verdict } from './doors';

interface Schema {
  $ref?: string; type?: string; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; example?: unknown;
  oneOf?: Schema[]; allOf?: Schema[]; default?: unknown;
}
interface Operation {
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface OpenApi { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } }

/** The REST door family needs `rest.app` (the Nest app), `rest.apiKey` and optionally `rest.knownIds`. */
export interface RestFuzzTarget {
  app: NestFastifyApplication;
  apiKey: string;
  /** Ids that exist (GET on them reaches the services); never used for mutating operations. */
  knownIds: string[];
}

const METHODS = ['get', 'post', 'patch', 'put', 'delete'] as const;

/** A value valid-looking for `schema`: its example, default or first enum value, else a plain value of its type. */
function exampleOf(schema: Schema | undefined, doc: OpenApi, depth = 0): unknown {
  if (!schema || depth > 6) return 'x';
  if (schema.$ref) return exampleOf(doc.components?.schemas?.[schema.$ref.split('/').pop()!], doc, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.oneOf?.length) return exampleOf(schema.oneOf[depth % schema.oneOf.length], doc, depth + 1);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map((s) => exampleOf(s, doc, depth + 1)));
  switch (schema.type) {
    case 'integer': case 'number': return 1;
    case 'boolean': return true;
    case 'array': return [exampleOf(schema.items, doc, depth + 1)];
    case 'string': return 'x';
    default:
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, exampleOf(s, doc, depth + 1)]));
  }
}

/** Percent-encodes any string, lone surrogates included (as the raw bytes a client could send). */
function pathSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s].map((c) => (/[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('');
  }
}

const rawSegments = fc.constantFrom('%00', '%ED%A0%80', '%', '%zz', '..', '%2F', 'a%2Fb', '%FF%FE', 'x'.repeat(300));

interface RestInput { path: string; query: string; body?: { type: string; payload: string | Buffer } }

function operationInputs(path: string, method: string, op: Operation, doc: OpenApi, known: string[]): fc.Arbitrary<RestInput> {
  const mutating = method !== 'get';
  const ids = fc.oneof(
    { weight: 3, arbitrary: nastyString.map(pathSegment) },
    { weight: 1, arbitrary: rawSegments },
    { weight: 1, arbitrary: fc.uuid() },
    // Existing ids reach the services; never for DELETE, which would remove the other doors' fixtures.
    ...(known.length > 0 && method !== 'delete' ? [{ weight: 2, arbitrary: fc.constantFrom(...known) }] : []),
  );
  const pathArb = (path.match(/\{[^}]+\}/g) ?? []).reduce<fc.Arbitrary<string>>(
    (acc, param) => fc.tuple(acc, ids).map(([p, id]) => p.replace(param, id)),
    fc.constant(path),
  );
  const queryNames = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  const queryValue = fc.oneof(nastyString, nastyNumber.map(String), fc.constantFrom('9200000000000000000', String(2 ** 53 + 1), '1e400'));
  const queryArb = fc.array(
    fc.tuple(queryNames.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...queryNames) }, { weight: 1, arbitrary: nastyString }) : nastyString, queryValue),
    { maxLength: 3 },
  ).map((pairs) => pairs.map(([k, v]) => `${pathSegment(k)}=${pathSegment(v)}`).join('&'));
  const jsonSchema = op.requestBody?.content['application/json']?.schema;
  const valid = exampleOf(jsonSchema, doc);
  const json = (v: unknown) => ({ type: 'application/json', payload: JSON.stringify(v) ?? 'null' });
  const bodyArb = !mutating ? fc.constant(undefined) : fc.oneof(
    { weight: 5, arbitrary: (valid && typeof valid === 'object' && !Array.isArray(valid) ? mutate(valid as Record<string, unknown>) : nastyValue).map(json) },
    { weight: 2, arbitrary: nastyValue.map(json) },
    { weight: 1, arbitrary: deepJson.map((payload) => ({ type: 'application/json', payload })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((payload) => ({ type: 'application/json', payload })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ type: 'multipart/form-data; boundary=XYZ', payload: Buffer.concat([Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'), Buffer.from(b)]) })) },
  );
  return fc.record({ path: pathArb, query: queryArb, body: bodyArb }).map((r) => (r.body === undefined ? { path: r.path, query: r.query } : r as RestInput));
}

registerDoors('rest', async (ctx) => {
  const target = ctx.get<RestFuzzTarget>('rest');
  const res = await target.app.inject({ method: 'GET', url: '/docs-json' });
  const doc = JSON.parse(res.body) as OpenApi;
  const doors: FuzzDoor[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      doors.push({
        name: `REST ${method.toUpperCase()} ${path}`,
        inputs: operationInputs(path, method, op, doc, target.knownIds),
        // Requests in flight together, as a server sees them: database waits overlap (this found concurrent
        // signing-key rotation steps answering 500; SigningKeyStore.rotate now serializes them).
        batch: 8,
        async send(input): Promise<Verdict> {
          const { path: p, query, body } = input as RestInput;
          const r = await target.app.inject({
            method: method.toUpperCase() as 'GET',
            url: query ? `${p}?${query}` : p,
            headers: { authorization: `Bearer ${target.apiKey}`, ...(body && { 'content-type': body.type }) },
            ...(body && { payload: body.payload }),
          });
          if (r.statusCode >= 500) {
            throw new Error(`${method.toUpperCase()} ${p}?${query} → ${r.statusCode} ${r.body.slice(0, 300)} (body: ${String(body?.payload ?? '').slice(0, 300)})`);
          }
          return r.statusCode < 300 ? 'accepted' : 'refused';
        },
      });
    }
  }
  return doors;
});
