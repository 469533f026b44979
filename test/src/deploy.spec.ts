/**
 * deploy/: the Docker Compose file, the Dockerfile's entrypoint and the Helm chart are parsed and checked against
 * the code (Docker and Helm do not run on the test machine, so nothing here starts a container or renders the
 * chart with helm): every environment variable they set is one the configuration loaders read, every volume and
 * secret a service names is defined, and the chart's templates are well-formed YAML once their template actions
 * are taken out, with every `.Values` path they use present in values.yaml.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CORE_SCHEMA, load, loadAll, mergeTag } from 'js-yaml';
import { AutopilotConfig } from '@edgefleet/control-plane';
import { DistillationConfig } from '@edgefleet/distillation-worker';
import { AppConfig } from '@edgefleet/platform';

const DEPLOY = resolve(__dirname, '../../deploy');
const CHART = join(DEPLOY, 'helm/edgefleet');

/** Every variable the control plane's and the worker's configuration loaders read (recorded, not listed by hand). */
function knownEnv(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_t, key) => {
      if (typeof key === 'string') read.add(key);
      return undefined;
    },
  });
  AppConfig.fromEnv(env);
  DistillationConfig.fromEnv(env);
  AutopilotConfig.fromEnv(env);
  return read;
}

/** deploy/entrypoint.sh turns FOO_FILE into FOO and reads MQTT_ENV_FILE (the generator's control-plane.env). */
const viaEntrypoint = (name: string): string | undefined => (name === 'MQTT_ENV_FILE' ? undefined : name.replace(/_FILE$/, ''));

type Service = { environment?: Record<string, unknown>; volumes?: string[]; secrets?: string[]; command?: string[]; depends_on?: Record<string, unknown>; image?: string; build?: unknown };

describe('deploy/', () => {
  const known = knownEnv();

  it('the loaders are recorded (not vacuous)', () => {
    for (const v of ['DATABASE_URL', 'MQTT_URL', 'MQTT_PASSWORD', 'ADMIN_API_KEY', 'DATA_DIR', 'BROKER_AUTH_SECRET', 'EMBEDDED_WORKER', 'AUTOPILOT_ENABLED', 'DISTILL_THREADS']) {
      assert.ok(known.has(v), v);
    }
  });

  it('docker-compose.yml: PostgreSQL, closed Mosquitto, 2 control planes, 2 workers; known env vars, defined volumes and secrets', () => {
    // Compose files use YAML merge keys (`<<: *anchor`), as Docker Compose does.
    const compose = load(readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8'), { schema: CORE_SCHEMA.withTags(mergeTag) }) as {
      services: Record<string, Service>; volumes: Record<string, unknown>; secrets: Record<string, { file?: string }>;
    };
    const services = compose.services;
    assert.ok(services['postgres'] && services['mosquitto'] && services['broker-config']);
    const controlPlanes = Object.keys(services).filter((s) => s.startsWith('control-plane-'));
    const workers = Object.entries(services).filter(([, s]) => s.command?.join(' ').includes('apps/distiller/dist/main.js'));
    assert.equal(controlPlanes.length, 2);
    assert.equal(workers.length, 2);
    // Mosquitto runs the generated configuration, written by the generator before it starts.
    assert.deepEqual(services['mosquitto']!.command, ['mosquitto', '-c', '/mosquitto/config/mosquitto.conf']);
    assert.deepEqual(services['mosquitto']!.depends_on, { 'broker-config': { condition: 'service_completed_successfully' } });
    assert.match(services['broker-config']!.command!.join(' '), /mosquitto-config\.cli\.js --out \/mosquitto\/config/);
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(source in (compose.volumes ?? {}), `${name}: volume ${source} is not defined`);
      }
      for (const secret of s.secrets ?? []) assert.ok(secret in (compose.secrets ?? {}), `${name}: secret ${secret} is not defined`);
      for (const dep of Object.keys(s.depends_on ?? {})) assert.ok(dep in services, `${name} depends on unknown ${dep}`);
      if (name === 'postgres' || name === 'mosquitto') continue;
      for (const key of Object.keys(s.environment ?? {})) {
        const target = viaEntrypoint(key);
        if (target !== undefined) assert.ok(known.has(target), `${name}: ${key} is not read by the configuration loaders`);
      }
      for (const [key, file] of Object.entries(s.environment ?? {})) {
        if (key.endsWith('_FILE') && key !== 'MQTT_ENV_FILE') assert.ok((s.secrets ?? []).some((x) => String(file) === `/run/secrets/${x}`), `${name}: ${key} names no mounted secret`);
      }
    }
    for (const name of controlPlanes) {
      const env = services[name]!.environment!;
      assert.equal(env['EMBEDDED_WORKER'], 'false', `${name}: the workers distill, not the control planes`);
      assert.match(String(env['DATABASE_URL']), /^postgresql:\/\/.*@postgres:5432\//);
      assert.equal(env['MQTT_URL'], 'mqtt://mosquitto:1883');
    }
  });

  it('Dockerfile: builds at image build time, runs the control plane through the entrypoint', () => {
    const docker = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    assert.match(docker, /RUN npm ci .*&& npm run build/);
    assert.match(docker, /ENTRYPOINT \["tini", "--", "edgefleet-entrypoint"\]/);
    assert.match(docker, /CMD \["node", "apps\/control-plane\/dist\/main.js"\]/);
    // The image runs the newest Node line that package.json's engines name (the active LTS).
    const engines = (JSON.parse(readFileSync(join(DEPLOY, '../package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const newest = Math.max(...[...engines.matchAll(/\^(\d+)\./g)].map((m) => Number(m[1])));
    const bases = [...docker.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    assert.ok(bases.length >= 1, 'the Dockerfile builds FROM an official node image');
    for (const b of bases) assert.equal(b, newest, `FROM node:${b} vs engines ${engines}`);
    for (const [, name] of docker.matchAll(/ENV (.*)/g)) {
      for (const [, key] of name!.matchAll(/([A-Z_]+)=/g)) assert.ok(key === 'NODE_ENV' || known.has(key!), `Dockerfile sets ${key}`);
    }
  });

  it('Helm chart: Chart.yaml and values.yaml parse; templates are YAML with known env vars and existing .Values paths', () => {
    const chart = load(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    assert.equal(chart['apiVersion'], 'v2');
    assert.equal(chart['name'], 'edgefleet');
    const values = load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const templates = readdirSync(join(CHART, 'templates')).filter((f) => f.endsWith('.yaml'));
    const kinds: string[] = [];
    for (const file of templates) {
      const text = readFileSync(join(CHART, 'templates', file), 'utf8');
      // Blocks open and close in pairs.
      const opens = [...text.matchAll(/\{\{-?\s*(if|range|with|define)\b/g)].length;
      const ends = [...text.matchAll(/\{\{-?\s*end\s*-?\}\}/g)].length;
      assert.equal(opens, ends, `${file}: ${opens} blocks opened, ${ends} closed`);
      // Every .Values path exists in values.yaml.
      for (const [, path] of text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)) {
        let node: unknown = values;
        for (const part of path!.split('.')) {
          assert.ok(node !== null && typeof node === 'object' && part in node, `${file}: .Values.${path} is not in values.yaml`);
          node = (node as Record<string, unknown>)[part];
        }
      }
      // Take the template actions out (lines that are only an action go; inline ones become a placeholder) and parse.
      const plain = text.split('\n').filter((l) => !/^\s*\{\{[^}]*\}\}\s*$/.test(l)).map((l) => l.replace(/\{\{[^}]*\}\}/g, 'x')).join('\n');
      const docs = loadAll(plain).filter(Boolean) as Array<Record<string, any>>;
      assert.ok(docs.length >= 1, file);
      for (const doc of docs) {
        assert.ok(typeof doc['apiVersion'] === 'string' && typeof doc['kind'] === 'string', `${file}: apiVersion and kind`);
        kinds.push(String(doc['kind']));
        if (doc['kind'] === 'ConfigMap') for (const key of Object.keys(doc['data'] ?? {})) assert.ok(key === 'x' || known.has(key), `${file}: ${key}`);
        if (doc['kind'] === 'Secret') for (const key of Object.keys(doc['stringData'] ?? {})) assert.ok(known.has(key), `${file}: ${key}`);
        if (doc['kind'] === 'Deployment') {
          const containers = doc['spec']['template']['spec']['containers'] as Array<{ env?: Array<{ name: string }>; envFrom?: unknown[] }>;
          for (const c of containers) for (const e of c.env ?? []) assert.ok(known.has(e.name), `${file}: env ${e.name}`);
        }
      }
    }
    assert.deepEqual([...new Set(kinds)].sort(), ['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Secret', 'Service']);
    assert.equal(kinds.filter((k) => k === 'Deployment').length, 2, 'control plane and worker');
    // extraEnv keys are the operator's: the example in values.yaml's comment must name known variables.
    for (const [, key] of readFileSync(join(CHART, 'values.yaml'), 'utf8').matchAll(/e\.g\. ([A-Z_]+): "/g)) assert.ok(known.has(key!), key);
  });
});
