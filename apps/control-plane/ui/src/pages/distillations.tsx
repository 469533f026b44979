import { useMemo } from 'preact/hooks';
import { get, Page } from '../api';
import { Chart, color } from '../chart';
import { Show, useLive, useLoad } from '../hooks';
import { num, when } from '../format';
import type { Distillation, DistillationCurve } from '../types';
import { Stat } from './fleet';

export function DistillationsPage() {
  const v = useLoad((signal) => get<Page<Distillation>>('/distillations?limit=100', signal), [], 5_000);
  return (
    <Show v={v}>
      {(page) => (
        <>
          <h1>Distillation jobs</h1>
          {page.items.length === 0 ? <p class="muted">No distillation jobs yet.</p> : (
            <table data-testid="distillations">
              <thead><tr><th>created</th><th>family</th><th>students</th><th>status</th><th>progress</th></tr></thead>
              <tbody>
                {page.items.map((j) => (
                  <tr key={j.id}>
                    <td><a href={`#/distillations/${j.id}`}>{when(j.createdAt)}</a></td>
                    <td>{j.request?.family ?? '—'}</td>
                    <td>{j.request?.students?.join(', ') ?? 'default ladder'}</td>
                    <td><span class={`status ${j.status}`}>{j.status}</span></td>
                    <td>{j.progress ? `${j.progress.phase ?? ''} ${j.progress.runsDone ?? 0}/${j.progress.runsTotal ?? '?'} runs` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Show>
  );
}

/** Loss and validation accuracy per epoch of each run, one line per run (x: epoch). */
function curveData(curves: DistillationCurve[], field: 1 | 2) {
  const maxEpoch = Math.max(0, ...curves.flatMap((c) => c.points.map((p) => p[0])));
  const x = Array.from({ length: maxEpoch }, (_, i) => i + 1);
  const lines = curves.map((c, i) => {
    const byEpoch = new Map(c.points.map((p) => [p[0], p[field]]));
    return { label: `${c.role} ${c.run}`, color: color(i), values: x.map((e) => byEpoch.get(e) ?? null) };
  });
  return { x, lines: lines.filter((l) => l.values.some((y) => y !== null)) };
}

/** One job, kept current by its server-sent events (GET /distillations/:id/events). */
export function DistillationPage(props: { id: string }) {
  const { value: job, error } = useLive<Distillation>(`/distillations/${props.id}`);
  const curves = job?.progress?.curves ?? [];
  const stamp = curves.map((c) => `${c.run}:${c.points.length}`).join(',');
  const loss = useMemo(() => curveData(curves, 1), [stamp]);
  const acc = useMemo(() => curveData(curves, 2), [stamp]);
  if (error && !job) return <p class="error" role="alert">{error}</p>;
  if (!job) return <p class="muted">Loading…</p>;
  const p = job.progress;
  return (
    <>
      <p><a href="#/distillations">← Distillation jobs</a></p>
      <h1>Distillation {job.request?.family ?? job.id}</h1>
      <div class="stats">
        <Stat label="status" value={job.status} id="stat-status" />
        <Stat label="phase" value={p?.phase ?? '—'} />
        <Stat label="runs done" value={`${p?.runsDone ?? 0} / ${p?.runsTotal ?? '?'}`} id="stat-runs" />
        <Stat label="current run" value={p?.run ? `${p.run} epoch ${p.epoch}/${p.epochs}` : '—'} id="stat-epoch" />
        <Stat label="loss" value={num(p?.loss)} />
        <Stat label="val accuracy" value={num(p?.valAccuracy)} />
      </div>
      {job.error && <p class="error">{job.error}</p>}
      {error && <p class="error">{error}</p>}
      {loss.x.length === 0 ? <p class="muted">No epoch finished yet.</p> : (
        <div class="charts">
          <Chart title="Training loss per epoch" x={loss.x} lines={loss.lines} testId="chart-loss" />
          {acc.lines.length > 0 && <Chart title="Validation accuracy per epoch" x={acc.x} lines={acc.lines} testId="chart-accuracy" />}
        </div>
      )}
      {job.result?.artifactIds && job.request?.family && (
        <p>Published {job.result.artifactIds.length} student artifacts: <a href={`#/models/${encodeURIComponent(job.request.family)}`}>family {job.request.family}</a></p>
      )}
    </>
  );
}
