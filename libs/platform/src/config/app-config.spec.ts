import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppConfig, ConfigError } from './app-config';

test('defaults: embedded everything under ./data, ports 8080/1884', () => {
  const c = AppConfig.fromEnv({}, '/srv/app');
  assert.equal(c.port, 8080);
  assert.equal(c.mqttPort, 1884);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.dataDir, '/srv/app/data');
  assert.equal(c.mqttUrl, undefined);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.blockSize, 65536);
  assert.equal(c.maxModelBytes, 512 * 1024 * 1024);
  assert.equal(c.logLevel, 'log');
  assert.equal(c.logFormat, 'auto');
});

test('values are read and typed; 0 ports mean "pick a free one"', () => {
  const c = AppConfig.fromEnv({
    PORT: '0', MQTT_PORT: '0', DATA_DIR: '/var/lib/ef', DATABASE_URL: 'postgresql://u@db:5432/ef', MQTT_URL: 'mqtt://broker:1883',
    ADMIN_API_KEY: 'a-long-enough-admin-key', BLOCK_SIZE: '131072', MAX_MODEL_MB: '64', LOG_LEVEL: 'debug',
  });
  assert.equal(c.port, 0);
  assert.equal(c.mqttPort, 0);
  assert.equal(c.dataDir, '/var/lib/ef');
  assert.equal(c.databaseUrl, 'postgresql://u@db:5432/ef');
  assert.equal(c.mqttUrl, 'mqtt://broker:1883');
  assert.equal(c.blockSize, 131072);
  assert.equal(c.maxModelBytes, 64 * 1024 * 1024);
  assert.equal(c.logLevel, 'debug');
});

test('every bad value is listed at once', () => {
  const err = (() => {
    try {
      AppConfig.fromEnv({
        PORT: '80a', MQTT_PORT: '70000', DATABASE_URL: 'mysql://x', MQTT_URL: 'not a url', BLOCK_SIZE: '999999',
        LOG_LEVEL: 'loud', LOG_FORMAT: 'xml', ADMIN_API_KEY: 'short',
      });
    } catch (e) {
      return e;
    }
    assert.fail('expected a ConfigError');
  })();
  assert.ok(err instanceof ConfigError);
  const keys = ['PORT', 'MQTT_PORT', 'DATABASE_URL', 'MQTT_URL', 'BLOCK_SIZE', 'LOG_LEVEL', 'LOG_FORMAT', 'ADMIN_API_KEY'];
  assert.equal(err.problems.length, keys.length, err.message);
  for (const k of keys) assert.ok(err.problems.some((p) => p.startsWith(k)), `${k} is reported: ${err.message}`);
});

test('HTTP and embedded MQTT on the same port is refused, unless the broker is external', () => {
  assert.throws(() => AppConfig.fromEnv({ PORT: '9000', MQTT_PORT: '9000' }), /PORT and MQTT_PORT are both 9000/);
  assert.equal(AppConfig.fromEnv({ PORT: '9000', MQTT_PORT: '9000', MQTT_URL: 'mqtt://x:1883' }).port, 9000);
});
