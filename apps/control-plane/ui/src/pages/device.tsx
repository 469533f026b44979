import { all, get } from '../api';
import { Show, useLoad } from '../hooks';
import { ago, describeProfile, ms, pct, shortClass, when } from '../format';
import { TelemetryCharts } from '../telemetry';
import type { Device, Model, Report } from '../types';
import { modelLabel, Stat } from './fleet';

export function DevicePage(props: { id: string }) {
  const v = useLoad(async (signal) => {
    const id = encodeURIComponent(props.id);
    const [device, reports, models] = await Promise.all([
      get<Device>(`/devices/${id}`, signal), all<Report>(`/devices/${id}/reports`, signal), all<Model>('/models', signal),
    ]);
    return { device, reports, models: new Map(models.map((m) => [m.id, m])) };
  }, [props.id], 10_000);
  return (
    <Show v={v}>
      {({ device: d, reports, models }) => {
        // The models this device ran: each report that activated its model, oldest first.
        const history = reports.filter((r) => r.activated).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
        return (
          <>
            <p><a href="#/">← Fleet</a></p>
            <h1>Device {d.id}</h1>
            <div class="stats">
              <Stat label="status" value={d.status} id="stat-status" />
              <Stat label="last seen" value={ago(d.lastSeenAt)} />
              <Stat label="agent" value={d.agentVersion ?? '—'} />
              <Stat label="reports" value={reports.length} id="stat-reports" />
            </div>
            <p>{describeProfile(d.profile)} · class <span class="mono">{shortClass(d.profileClass)}</span> · tags {d.tags.join(', ') || '—'}</p>
            <p>Active model: <strong data-testid="active-model">{d.activeArtifactId ? modelLabel(models.get(d.activeArtifactId), d.activeArtifactId) : 'none'}</strong></p>
            <h2>Telemetry (last hour)</h2>
            <TelemetryCharts filter={{ deviceId: d.id }} resolution="raw" />
            <h2>Model history</h2>
            {history.length === 0 ? <p class="muted">No model activated yet.</p> : (
              <ol class="history" data-testid="model-history">
                {history.map((r) => <li key={r.id}>{when(r.createdAt)}: {modelLabel(models.get(r.artifactId), r.artifactId)} activated (p95 {ms(r.latencyP95Ms)}, accuracy {pct(r.accuracy)})</li>)}
              </ol>
            )}
            <h2>Benchmark reports</h2>
            <table data-testid="reports">
              <thead><tr><th>when</th><th>model</th><th>p50</th><th>p95</th><th>p99</th><th>accuracy</th><th title="the model's own memory (docs/models.md)">model memory</th><th title="the whole benchmark process">process peak</th><th>gates</th><th>activated</th></tr></thead>
              <tbody>
                {reports.map((r) => (
                  <tr key={r.id}>
                    <td>{when(r.createdAt)}</td>
                    <td>{modelLabel(models.get(r.artifactId), r.artifactId)}</td>
                    <td class="n" data-field="p50">{ms(r.latencyP50Ms)}</td>
                    <td class="n" data-field="p95">{ms(r.latencyP95Ms)}</td>
                    <td class="n">{ms(r.latencyP99Ms)}</td>
                    <td class="n" data-field="accuracy" title={r.metric ? `${r.metric.task}: ${r.metric.name}` : undefined}>
                      {r.metric && r.accuracy === null ? `${r.metric.name} ${r.metric.value}` : pct(r.accuracy)}
                    </td>
                    <td class="n" data-field="modelMemory">{r.modelMemoryMb === null ? '—' : `${r.modelMemoryMb.toFixed(1)} MB`}</td>
                    <td class="n">{r.peakRssMb === null ? '—' : `${r.peakRssMb.toFixed(0)} MB`}</td>
                    <td>{r.passed ? <span class="ok">passed</span> : <span class="bad">{r.failureReason ?? 'failed'}</span>}{r.simulated ? ' (simulated)' : ''}</td>
                    <td>{r.activated ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        );
      }}
    </Show>
  );
}
