import { get, getOptional, Page } from '../api';
import { Show, useLive, useLoad } from '../hooks';
import { bytes, ms, pct, when } from '../format';
import type { Deployment } from '../types';
import { Stat } from './fleet';

const FINISHED = new Set(['active', 'rejected', 'failed', 'superseded']);

interface Rollout { id: string; name: string; state: string; currentWave: number; plan: { waves: unknown[] }; createdAt: string }

export function DeploymentsPage() {
  const v = useLoad(async (signal) => {
    const [deployments, rollouts] = await Promise.all([
      get<Page<Deployment>>('/deployments?limit=100', signal),
      getOptional<Page<Rollout>>('/rollouts?limit=100', signal), // absent on a control plane without rollouts
    ]);
    return { deployments: deployments.items, rollouts: rollouts?.items };
  }, [], 5_000);
  return (
    <Show v={v}>
      {({ deployments, rollouts }) => (
        <>
          <h1>Deployments</h1>
          {deployments.length === 0 ? <p class="muted">No deployments yet.</p> : (
            <table data-testid="deployments">
              <thead><tr><th>created</th><th>model</th><th>status</th><th>devices per state</th><th>gates</th></tr></thead>
              <tbody>
                {deployments.map((d) => (
                  <tr key={d.id}>
                    <td><a href={`#/deployments/${d.id}`}>{when(d.createdAt)}</a></td>
                    <td>{d.artifact.name}@{d.artifact.version} ({d.artifact.precision})</td>
                    <td><span class={`status ${d.status}`}>{d.status}</span></td>
                    <td>{Object.entries(d.counts).map(([s, n]) => `${s} ${n}`).join(', ')}</td>
                    <td>{Object.entries(d.gates).map(([g, n]) => `${g} ${n}`).join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {rollouts && (
            <>
              <h2>Rollouts</h2>
              {rollouts.length === 0 ? <p class="muted">No rollouts yet.</p> : (
                <table data-testid="rollouts">
                  <thead><tr><th>rollout</th><th>state</th><th>wave</th><th>created</th></tr></thead>
                  <tbody>
                    {rollouts.map((r) => (
                      <tr key={r.id} data-rollout={r.id}>
                        <td><a href={`#/rollouts/${r.id}`}>{r.name}</a></td>
                        <td><span class={`status ${r.state}`}>{r.state}</span></td>
                        <td>{r.currentWave} (of 0–{r.plan.waves.length - 1})</td>
                        <td>{when(r.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
        </>
      )}
    </Show>
  );
}

/** One deployment, kept current by its server-sent events (GET /deployments/:id/events). */
export function DeploymentPage(props: { id: string }) {
  const { value: d, error, live } = useLive<Deployment>(`/deployments/${props.id}`);
  if (error && !d) return <p class="error" role="alert">{error}</p>;
  if (!d) return <p class="muted">Loading…</p>;
  const devices = d.devices ?? [];
  const done = devices.filter((x) => FINISHED.has(x.state)).length;
  const blocks = devices.reduce((s, x) => s + x.receivedBlocks, 0);
  const totalBlocks = devices.reduce((s, x) => s + x.totalBlocks, 0);
  return (
    <>
      <p><a href="#/deployments">← Deployments</a></p>
      <h1>Deployment of {d.artifact.name}@{d.artifact.version} ({d.artifact.precision})</h1>
      <p class="muted">{d.id} · {bytes(d.artifact.sizeBytes)} · sha256 {d.artifact.sha256.slice(0, 12)} · created {when(d.createdAt)} by {d.createdBy ?? '—'} · <span data-testid="live">{live === 'live' ? '● live' : live}</span></p>
      <div class="stats">
        <Stat label="status" value={d.status} id="stat-status" />
        <Stat label="devices finished" value={`${done} / ${devices.length}`} id="stat-finished" />
        <Stat label="blocks received" value={`${blocks} / ${totalBlocks}`} id="stat-blocks" />
      </div>
      <div class="bar" title="devices finished"><div style={{ width: `${devices.length ? (100 * done) / devices.length : 0}%` }} data-testid="progress-bar" /></div>
      {error && <p class="error">{error}</p>}
      <table data-testid="deployment-devices">
        <thead><tr><th>device</th><th>state</th><th>download</th><th>p50</th><th>p95</th><th>accuracy</th><th>error</th></tr></thead>
        <tbody>
          {devices.map((x) => (
            <tr key={x.deviceId} data-device={x.deviceId}>
              <td><a href={`#/devices/${encodeURIComponent(x.deviceId)}`}>{x.deviceId}</a></td>
              <td data-field="state"><span class={`state ${x.state}`}>{x.state}</span></td>
              <td><div class="bar small"><div style={{ width: `${x.totalBlocks ? (100 * x.receivedBlocks) / x.totalBlocks : 0}%` }} /></div> {x.receivedBlocks}/{x.totalBlocks}</td>
              <td class="n">{ms(x.report?.latencyP50Ms)}</td>
              <td class="n" data-field="p95">{ms(x.report?.latencyP95Ms)}</td>
              <td class="n">{pct(x.report?.accuracy)}</td>
              <td>{x.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
