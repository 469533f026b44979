// npm run broker:mosquitto-config -- --out <dir> [--host 127.0.0.1] [--port 1883] [--plugin <path>] [--user <name>]
//                                    [--tls-cert <pem> --tls-key <pem> [--tls-client-ca <pem>]]
// Writes <dir>/mosquitto.conf, <dir>/dynamic-security.json (0600) and <dir>/control-plane.env (0600: MQTT_URL,
// MQTT_USERNAME, MQTT_PASSWORD, MQTT_DYNSEC=true) for the database the control plane uses (DATABASE_URL or
// DATA_DIR). Run it again to re-export every enrolled device; the service password in control-plane.env is kept.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppConfig, ConfigError, ConfigModule, processEnv, DatabaseModule } from '@edgefleet/platform';
import { brokerHashOf, generateSecret } from '../identity/credential-hash';
import { CredentialsModule } from '../identity/credentials.module';
import { DeviceCredentialRepository } from '../identity/device-credential.repository';
import { SERVICE_USERNAME } from '../mqtt/broker-policy';
import { DYNSEC_PLUGIN_PATHS, dynamicSecurityJson, mosquittoConf } from './mosquitto-config';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '1883' },
      plugin: { type: 'string' }, user: { type: 'string' },
      'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-client-ca': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!values.out || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError('usage: npm run broker:mosquitto-config -- --out <dir> [--host 127.0.0.1] [--port 1883] [--plugin <path>] [--user <name>] [--tls-cert <pem> --tls-key <pem> [--tls-client-ca <pem>]]');
  }
  const pluginPath = values.plugin ?? DYNSEC_PLUGIN_PATHS.find((p) => existsSync(p));
  if (!pluginPath) throw new UsageError(`Mosquitto's dynamic-security plugin was not found in ${DYNSEC_PLUGIN_PATHS.join(', ')}: pass --plugin <path>`);
  const out = resolve(values.out);
  await mkdir(out, { recursive: true });

  const envFile = join(out, 'control-plane.env');
  const servicePassword = (await existingPassword(envFile)) ?? generateSecret('efs_');
  const devices = await enrolledDevices();
  const tls = values['tls-cert'] && values['tls-key']
    ? { certfile: resolve(values['tls-cert']), keyfile: resolve(values['tls-key']), cafile: values['tls-client-ca'] ? resolve(values['tls-client-ca']) : undefined }
    : undefined;
  const input = {
    host: values.host, port, pluginPath, dynsecFile: join(out, 'dynamic-security.json'),
    serviceBrokerHash: await brokerHashOf(servicePassword), devices, user: values.user, tls,
  };
  await writeFile(join(out, 'mosquitto.conf'), mosquittoConf(input));
  await writeSecret(input.dynsecFile, `${JSON.stringify(dynamicSecurityJson(input), null, 2)}\n`);
  const scheme = tls ? 'mqtts' : 'mqtt';
  await writeSecret(envFile, [
    `MQTT_URL=${scheme}://${values.host === '0.0.0.0' ? '127.0.0.1' : values.host}:${port}`,
    `MQTT_USERNAME=${SERVICE_USERNAME}`,
    `MQTT_PASSWORD=${servicePassword}`,
    'MQTT_DYNSEC=true',
    '',
  ].join('\n'));
  process.stdout.write(`${JSON.stringify({ dir: out, conf: join(out, 'mosquitto.conf'), devices: devices.length, env: envFile })}\n`);
}

class UsageError extends Error {}

@Module({ imports: [DatabaseModule, CredentialsModule] })
class ExportModule {}

async function enrolledDevices(): Promise<Array<{ deviceId: string; brokerHash: string }>> {
  const config = AppConfig.fromEnv(processEnv());
  const app = await NestFactory.createApplicationContext(
    { module: class Root {}, imports: [ConfigModule.forRoot(config), ExportModule] },
    { logger: ['error'] },
  );
  try {
    return await app.get(DeviceCredentialRepository).allBrokerHashes();
  } finally {
    await app.close();
  }
}

async function existingPassword(envFile: string): Promise<string | undefined> {
  if (!existsSync(envFile)) return undefined;
  return /^MQTT_PASSWORD=(.+)$/m.exec(await readFile(envFile, 'utf8'))?.[1];
}

async function writeSecret(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`broker:mosquitto-config failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
