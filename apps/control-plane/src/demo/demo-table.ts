/** Formats the demo's per-device result table (pure, so it is unit-tested). */
export interface DemoRow {
  device: string;
  profile: string;
  sha256?: string;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  accuracy?: number;
  peakRssMb?: number;
  simulated?: boolean;
  state: string;
}

const fmt = (v: number | undefined, digits: number): string => (v === undefined || v === null ? '-' : v.toFixed(digits));

export function renderTable(rows: DemoRow[]): string {
  const header = ['device', 'profile', 'model', 'p50 ms', 'p95 ms', 'p99 ms', 'accuracy', 'peak MB', 'state'];
  const body = rows.map((r) => [
    r.device,
    r.profile + (r.simulated ? '*' : ''),
    r.sha256 ? r.sha256.slice(0, 12) : '-',
    fmt(r.p50Ms, 3),
    fmt(r.p95Ms, 3),
    fmt(r.p99Ms, 3),
    fmt(r.accuracy, 4),
    fmt(r.peakRssMb, 1),
    r.state,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 && i <= 7 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  if (rows.some((r) => r.simulated)) out.push('* simulated device class: latencies stretched by the profile\'s slowdown factor (docs/simulation.md)');
  return out.map((l) => l.trimEnd()).join('\n');
}
