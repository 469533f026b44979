import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from './demo-table';

test('renders one aligned row per device with missing values as dashes', () => {
  const text = renderTable([
    { device: 'gw-1', profile: 'gateway', sha256: 'abcdef0123456789', p50Ms: 0.1234, p95Ms: 0.2, p99Ms: 0.3, accuracy: 0.8512, peakRssMb: 80.25, state: 'active' },
    { device: 'pi-1', profile: 'rpi4', simulated: true, state: 'failed' },
  ]);
  const lines = text.split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[2]!, /^gw-1\s+gateway\s+abcdef012345\s+0\.123\s+0\.200\s+0\.300\s+0\.8512\s+80\.3\s+active$/);
  assert.match(lines[3]!, /^pi-1\s+rpi4\*\s+-\s+-\s+-\s+-\s+-\s+-\s+failed$/);
  assert.match(lines[4]!, /simulated/);
});
