import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, getOptional, myRole, post } from '../api';
import { Chart, color, type Line } from '../chart';
import { useLive, useLoad } from '../hooks';
import { ms, pct, shortClass, when } from '../format';
import type { Model, RolloutDetail, RolloutPlan, SuccessCriteria, TelemetrySeries } from '../types';
import { modelLabel, Stat } from './fleet';

/** Device outcomes in the order a wave moves through them (GET /rollouts/:id `waves[].counts`). */
const OUTCOMES = ['planned', 'in_progress', 'retrying', 'staged', 'active', 'rejected', 'failed', 'timed_out'] as const;
const FINAL = new Set(['rolled_back', 'completed', 'cancelled']);

/** The operator actions and the states each is allowed from (the server's rule, RolloutsService TRANSITIONS; it answers 409 otherwise). */
const ACTIONS = [
  { action: 'pause', label: 'Pause', from: ['scheduled', 'running', 'awaiting_approval'] },
  { action: 'resume', label: 'Resume', from: ['paused'] },
  { action: 'approve', label: 'Approve next wave', from: ['awaiting_approval'] },
  { action: 'cancel', label: 'Cancel', from: ['scheduled', 'running', 'awaiting_approval', 'paused'] },
  { action: 'rollback', label: 'Roll back', from: ['running', 'awaiting_approval', 'paused', 'completed'] },
] as const;
const MAY_ACT = new Set(['operator', 'admin']);

const waveTarget = (w: RolloutPlan['waves'][number], i: number, last: boolean) =>
  last ? 'the rest' : `${w.count !== undefined ? `${w.count} device(s)` : `${w.percent ?? 100} %`}${i === 0 ? ' (≥ 1 per class)' : ''}`;
const criteriaText = (c: SuccessCriteria | undefined): string => {
  if (!c) return '—';
  const parts = [
    c.minPassPercent !== undefined && `pass ≥ ${c.minPassPercent} %`, c.maxP50Ratio !== undefined && `p50 ≤ ${c.maxP50Ratio}× before`,
    c.maxP95Ratio !== undefined && `p95 ≤ ${c.maxP95Ratio}× before`, c.minAccuracy !== undefined && `accuracy ≥ ${c.minAccuracy}`,
    c.maxAccuracyDrop !== undefined && `accuracy drop ≤ ${c.maxAccuracyDrop}`,
  ].filter(Boolean);
  return parts.join(', ') || '—';
};
/** A figure against its limit: `ok` / `bad` class for the cell, nothing when either is missing. */
const judged = (v: number | undefined, limit: number | undefined, atMost: boolean): string =>
  v === undefined || limit === undefined ? '' : (atMost ? v <= limit : v >= limit) ? 'ok' : 'bad';

/**
 * One rollout, live: its waves with devices per state, the failure rate against the abort threshold, each class
 * against the current wave's success criteria, every device's on-device benchmark against the gates, the new
 * model's telemetry beside the old one's, and every decision. Kept current by GET /rollouts/:id/events (SSE).
 * Operators (and admins) get pause / resume / approve / cancel / roll back; a viewer's page is read only.
 */
export function RolloutPage(props: { id: string }) {
  const { value: r, error, live } = useLive<RolloutDetail>(`/rollouts/${props.id}`);
  const [role, setRole] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string>();
  const [models, setModels] = useState(new Map<string, Model>());

  useEffect(() => {
    const ctl = new AbortController();
    myRole(ctl.signal).then(setRole, () => setRole(undefined));
    return () => ctl.abort();
  }, []);

  // Names of the models involved (new per class, and what the devices ran before).
  const modelIds = useMemo(() => [...new Set(r ? [...Object.values(r.artifacts), ...r.devices.flatMap((d) => (d.previousArtifactId ? [d.previousArtifactId] : []))].filter(Boolean) : [])].sort(), [r]);
  useEffect(() => {
    const ctl = new AbortController();
    const missing = modelIds.filter((id) => !models.has(id));
    if (missing.length === 0) return;
    Promise.all(missing.map((id) => getOptional<Model>(`/models/${id}`, ctl.signal))).then((found) => {
      const next = new Map(models);
      found.forEach((m, i) => { if (m) next.set(missing[i]!, m); });
      setModels(next);
    }, () => undefined);
    return () => ctl.abort();
  }, [modelIds.join(',')]);

  if (error && !r) return <p class="error" role="alert">{error}</p>;
  if (!r) return <p class="muted">Loading…</p>;

  const act = async (action: string) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await post(`/rollouts/${r.id}/${action}`, { note: 'from the dashboard' });
    } catch (err) {
      setActionError(err instanceof ApiError ? `${action}: ${err.message}` : `${action}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const plan = r.plan;
  const current = plan.waves[r.currentWave]?.success;
  const notified = r.devices.filter((d) => d.notifiedAt).length;
  const newIds = [...new Set(Object.values(r.artifacts).filter(Boolean))];
  const abort = plan.abort;
  const failing = abort && r.failureRate.percent !== undefined && r.failureRate.finished >= abort.minDevices && r.failureRate.percent >= abort.failurePercent;
  return (
    <>
      <p><a href="#/deployments">← Deployments and rollouts</a></p>
      <h1>Rollout {r.name}</h1>
      <p class="muted">{r.id} · {newIds.map((id) => modelLabel(models.get(id), id)).join(', ') || '—'} · created {when(r.createdAt)} by {r.createdBy ?? '—'} · <span data-testid="live">{live === 'live' ? '● live' : live}</span></p>
      <div class="stats">
        <Stat label="state" value={r.state} id="stat-state" />
        <Stat label={`current wave (waves 0–${plan.waves.length - 1})`} value={r.currentWave} id="stat-wave" />
        <Stat label="devices notified" value={`${notified} / ${r.devices.length}`} id="stat-notified" />
        <Stat label={abort ? `failure rate (abort at ≥ ${abort.failurePercent} % after ≥ ${abort.minDevices}: ${abort.action})` : 'failure rate (no abort criteria)'}
          value={r.failureRate.percent === undefined ? '—' : `${r.failureRate.percent} %`} id="stat-failure-rate" />
      </div>
      {r.reason && <p data-testid="reason">{r.reason}</p>}
      {error && <p class="error">{error}</p>}

      {role === undefined ? null : MAY_ACT.has(role) ? (
        <div class="actions" data-testid="rollout-actions">
          {ACTIONS.map((a) => (
            <button key={a.action} disabled={busy || !(a.from as readonly string[]).includes(r.state)} onClick={() => void act(a.action)}>{a.label}</button>
          ))}
          {actionError && <p class="error" role="alert">{actionError}</p>}
        </div>
      ) : <p class="muted" data-testid="read-only">Read only: a {role} key may not pause, resume, approve, cancel or roll back (operator or admin).</p>}

      <h2>Waves</h2>
      <table data-testid="waves">
        <thead><tr><th>wave</th><th>reaches</th><th>devices</th>{OUTCOMES.map((o) => <th key={o} class="n">{o.replace('_', ' ')}</th>)}<th>to advance</th></tr></thead>
        <tbody>
          {plan.waves.map((w, i) => {
            const counts = r.waves.find((x) => x.wave === i);
            return (
              <tr key={i} data-wave={i} class={i === r.currentWave && !FINAL.has(r.state) ? 'current' : ''}>
                <td>{i}{i === 0 ? ' (canary)' : ''}{w.requireApproval ? ' · approval' : ''}</td>
                <td>{waveTarget(w, i, i === plan.waves.length - 1)}</td>
                <td class="n" data-field="devices">{counts?.devices ?? 0}</td>
                {OUTCOMES.map((o) => <td key={o} class="n" data-field={o}>{counts?.counts[o] ?? 0}</td>)}
                <td>{criteriaText(w.success)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h2>Health per class, whole rollout <span class="muted">(wave {r.currentWave} needs: {criteriaText(current)}; the driver judges each wave's own devices)</span></h2>
      {failing && <p class="bad">The abort criteria are met: {r.failureRate.failures} of {r.failureRate.finished} finished devices failed.</p>}
      <table data-testid="classes">
        <thead><tr><th>class</th><th class="n">devices</th><th class="n">finished</th><th class="n">active</th><th class="n">rejected</th><th class="n">failed</th><th class="n">timed out</th><th class="n">retrying</th><th class="n">pass rate</th><th class="n">p95 vs before</th><th class="n">accuracy</th><th class="n">before</th></tr></thead>
        <tbody>
          {Object.entries(r.classes).map(([cls, h]) => (
            <tr key={cls} data-class={cls}>
              <td class="mono" title={cls}>{shortClass(cls)}</td>
              <td class="n">{h.devices}</td><td class="n">{h.finished}</td><td class="n">{h.active}</td><td class="n">{h.rejected}</td><td class="n">{h.failed}</td><td class="n">{h.timedOut}</td><td class="n">{h.retrying}</td>
              <td class={`n ${judged(h.passPercent, current?.minPassPercent, false)}`} data-field="pass">{h.passPercent === undefined ? '—' : `${h.passPercent} %`}</td>
              <td class={`n ${judged(h.p95Ratio, current?.maxP95Ratio, true)}`} data-field="p95-ratio">{h.p95Ratio === undefined ? '—' : `${h.p95Ratio}×`}</td>
              <td class={`n ${judged(h.accuracy, current?.minAccuracy, false)}`} data-field="accuracy">{pct(h.accuracy)}</td>
              <td class="n">{pct(h.baselineAccuracy)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Devices <span class="muted">(on-device benchmark against the gates: {Object.entries(plan.gates).map(([g, v]) => `${g} ${v}`).join(', ') || 'none'})</span></h2>
      <table data-testid="rollout-devices">
        <thead><tr><th>device</th><th>class</th><th class="n">wave</th><th>outcome</th><th class="n">attempts</th><th class="n">p95</th><th class="n">before</th><th class="n">accuracy</th><th class="n">before</th><th>last failure</th></tr></thead>
        <tbody>
          {r.devices.map((d) => (
            <tr key={d.deviceId} data-device={d.deviceId}>
              <td><a href={`#/devices/${encodeURIComponent(d.deviceId)}`}>{d.deviceId}</a></td>
              <td class="mono" title={d.profileClass}>{shortClass(d.profileClass)}</td>
              <td class="n">{d.wave}</td>
              <td data-field="outcome"><span class={`state ${d.outcome}`}>{d.outcome}</span>{d.retryAt ? ` (at ${new Date(d.retryAt).toLocaleTimeString()})` : ''}</td>
              <td class="n" data-field="attempts">{d.attempts ?? 0}</td>
              <td class={`n ${judged(d.p95Ms, plan.gates.maxLatencyP95Ms, true)}`} data-field="p95">{ms(d.p95Ms)}</td>
              <td class="n">{ms(d.baseline?.p95Ms)}</td>
              <td class={`n ${judged(d.accuracy, plan.gates.minAccuracy, false)}`} data-field="accuracy">{pct(d.accuracy)}</td>
              <td class="n">{pct(d.baseline?.accuracy)}</td>
              <td>{d.lastFailure ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Telemetry: new model against the one before</h2>
      <ModelComparison rolloutId={r.id} models={models} stamp={`${r.state}|${notified}`} />

      <h2>Decisions</h2>
      <ol class="decisions" data-testid="decisions">
        {r.decisions.map((d, i) => <li key={i}><span class="muted">{when(d.at)} · wave {d.wave} · {d.actor}</span> <b>{d.action}</b>: {d.reason}</li>)}
      </ol>
    </>
  );
}

interface RolloutTelemetry { resolution: string; devices: number; models: Array<{ modelId: string; role: 'new' | 'previous'; devices: number; points: TelemetrySeries['points'] }> }

/**
 * Telemetry of the rollout's devices per model (GET /rollouts/:id/telemetry, last hour, per minute): the new
 * model(s) beside the model(s) those devices ran before — p95 latency served and inferences, one line per model.
 */
function ModelComparison(props: { rolloutId: string; models: Map<string, Model>; stamp: string }) {
  const v = useLoad(async (signal) => {
    const to = new Date();
    const from = new Date(to.getTime() - 3_600_000);
    const t = await getOptional<RolloutTelemetry>(`/rollouts/${props.rolloutId}/telemetry?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), resolution: '1m' })}`, signal);
    return t && { t, range: [from.getTime() / 1000, to.getTime() / 1000] as [number, number] };
  }, [props.rolloutId, props.stamp], 15_000);
  const data = useMemo(() => {
    if (v.state !== 'ok' || !v.value || v.value.t.models.every((m) => m.points.length === 0)) return undefined;
    const models = v.value.t.models.slice(0, 8);
    const xs = [...new Set(models.flatMap((m) => m.points.map((p) => Date.parse(p.t) / 1000)))].sort((a, b) => a - b);
    const line = (k: 'latencyP95Ms' | 'inferences'): Line[] => models.map((m, i) => {
      const at = new Map(m.points.map((p) => [Date.parse(p.t) / 1000, p[k]]));
      return { label: `${m.role === 'new' ? 'new' : 'before'}: ${modelLabel(props.models.get(m.modelId), m.modelId)} (${m.devices} dev.)`, values: xs.map((x) => at.get(x) ?? null), color: color(i) };
    });
    return { x: xs, range: v.value.range, p95: line('latencyP95Ms'), traffic: line('inferences') };
  }, [v, props.models]);
  if (v.state === 'loading') return <p class="muted">Loading telemetry…</p>;
  if (v.state === 'error') return <p class="error">Telemetry: {v.error.message}</p>;
  if (!data) return <p class="muted" data-testid="no-comparison">No telemetry from the rollout's devices in the last hour{v.value ? '' : ' (this control plane has no telemetry API)'}.</p>;
  return (
    <div class="charts" data-testid="model-comparison">
      <Chart title="p95 latency served on the rollout's devices, per model" time x={data.x} xRange={data.range} lines={data.p95} yLabel="ms" testId="chart-compare-p95" />
      <Chart title="Inferences per minute on the rollout's devices, per model" time x={data.x} xRange={data.range} lines={data.traffic} testId="chart-compare-traffic" />
    </div>
  );
}
