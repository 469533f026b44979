import { startControlPlane } from './bootstrap';
import { ConfigError } from '@edgefleet/platform';
import { isOperatorError } from './startup-errors';

/** `npm start`: start the control plane with the process environment and say what it serves. */
async function main(): Promise<void> {
  const cp = await startControlPlane(undefined, { shutdownHooks: true });
  const lines = [
    `edgefleet control plane is up`,
    `  HTTP API      ${cp.apiUrl}   (Authorization: Bearer <api key>)`,
    `  OpenAPI UI    ${cp.docsUrl}   (JSON: ${cp.docsUrl}-json)`,
    `  dashboard     ${cp.uiUrl}   (log in with an API key; a viewer key is enough)`,
    `  health        ${cp.httpUrl}/health`,
    `  MQTT          ${cp.mqttUrl}   (${cp.mqttEmbedded ? 'embedded Aedes broker' : 'external broker'})`,
    `  database      ${cp.database.describe}`,
    `  data dir      ${cp.config.dataDir}`,
    `  signing key   ${cp.signingPublicKeyPath}   (agents: --trust-key)`,
  ];
  if (cp.adminApiKeyGenerated) {
    lines.push('', `  admin API key ${cp.adminApiKey}`, '  (generated now and shown only once: store it; only its hash is kept)');
  } else if (!cp.adminApiKey) {
    lines.push(`  admin API key created on an earlier start (set ADMIN_API_KEY to add a key you know)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else if (isOperatorError(err)) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    process.stderr.write(`control plane failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exit(1); // nothing worth waiting for: the start failed and was rolled back
});
