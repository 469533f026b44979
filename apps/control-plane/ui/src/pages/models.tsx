import { all, get, getOptional } from '../api';
import { Show, useLoad } from '../hooks';
import { bytes, describeProfile, ms, num, pct, shortClass } from '../format';
import type { Device, Model, ProfileClass, Recommendation, Report } from '../types';

const familyOf = (m: Model): string => m.family ?? m.name;
const role = (m: Model): string => (typeof m.lineage?.role === 'string' ? m.lineage.role : 'uploaded');
const teacherOf = (m: Model): string | undefined => (m.lineage?.teacher as { artifactId?: string } | undefined)?.artifactId;
const metric = (m: Model, k: string): unknown => m.metrics?.[k];

export function FamiliesPage() {
  const v = useLoad((signal) => all<Model>('/models', signal), [], 15_000);
  return (
    <Show v={v}>
      {(models) => {
        const families = [...models.reduce((m, x) => m.set(familyOf(x), [...(m.get(familyOf(x)) ?? []), x]), new Map<string, Model[]>())];
        return (
          <>
            <h1>Model families</h1>
            {families.length === 0 ? <p class="muted">No models yet: upload one (POST /api/v1/models) or queue a distillation.</p> : (
              <table data-testid="families">
                <thead><tr><th>family</th><th>artifacts</th><th>teachers</th><th>students</th><th>precisions</th></tr></thead>
                <tbody>
                  {families.map(([f, ms]) => (
                    <tr key={f}>
                      <td><a href={`#/models/${encodeURIComponent(f)}`}>{f}</a></td>
                      <td class="n">{ms.length}</td>
                      <td class="n">{ms.filter((m) => role(m) === 'teacher').length}</td>
                      <td class="n">{new Set(ms.filter((m) => role(m) === 'student').map((m) => m.name)).size}</td>
                      <td>{[...new Set(ms.map((m) => m.precision))].join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        );
      }}
    </Show>
  );
}

interface Measured { p95: number[]; }

/** A family: teacher → students → their fp32/int8/fp16 variants, where each runs, and latency per class measured vs predicted. */
export function FamilyPage(props: { family: string }) {
  const v = useLoad(async (signal) => {
    const f = encodeURIComponent(props.family);
    let models = await all<Model>(`/models?family=${f}`, signal);
    if (models.length === 0) models = await all<Model>(`/models?name=${f}`, signal);
    const [devices, profiles] = await Promise.all([all<Device>('/devices', signal), get<{ items: ProfileClass[] }>('/profiles', signal)]);
    const familyParam = models.some((m) => m.family === props.family) ? `?family=${f}` : '';
    const recommendations = await Promise.all(profiles.items.map((p) => getOptional<Recommendation>(`/profiles/${p.profileClass}/recommendation${familyParam}`, signal).catch(() => undefined)));
    // Measured p95 per (variant, class): the benchmark reports of the class's devices (ten per class at most).
    const ids = new Set(models.map((m) => m.id));
    const measured = new Map<string, Measured>();
    for (const p of profiles.items) {
      const ds = devices.filter((d) => d.profileClass === p.profileClass).slice(0, 10);
      const reports = (await Promise.all(ds.map((d) => all<Report>(`/devices/${encodeURIComponent(d.id)}/reports`, signal)))).flat();
      for (const r of reports) {
        if (!ids.has(r.artifactId) || r.latencyP95Ms === null) continue;
        const k = `${r.artifactId}|${p.profileClass}`;
        if (!measured.has(k)) measured.set(k, { p95: [] });
        measured.get(k)!.p95.push(r.latencyP95Ms);
      }
    }
    return { models, devices, profiles: profiles.items, recommendations, measured };
  }, [props.family]);
  return (
    <Show v={v}>
      {({ models, devices, profiles, recommendations, measured }) => {
        const teachers = models.filter((m) => role(m) === 'teacher');
        const students = models.filter((m) => role(m) !== 'teacher');
        // Student architectures (one name) with their precision variants.
        const groups = [...students.reduce((g, m) => g.set(m.name, [...(g.get(m.name) ?? []), m]), new Map<string, Model[]>())];
        const runningOn = (id: string) => devices.filter((d) => d.activeArtifactId === id);
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
        const variantRow = (m: Model) => {
          const on = runningOn(m.id);
          return (
            <tr key={m.id} data-variant={m.id}>
              <td>{m.precision}</td>
              <td>{m.name}@{m.version}</td>
              <td class="n" data-field="accuracy">{pct(metric(m, 'accuracy') as number | undefined)}</td>
              <td class="n">{pct(metric(m, 'agreement') as number | undefined)}</td>
              <td class="n">{bytes(m.sizeBytes)}</td>
              <td class="n">{num(m.params ?? metric(m, 'params'), 0)}</td>
              <td class="n" data-field="running">{on.length}</td>
              <td>{[...new Set(on.map((d) => shortClass(d.profileClass)))].join(', ') || '—'}</td>
            </tr>
          );
        };
        const head = <thead><tr><th>precision</th><th>artifact</th><th>accuracy</th><th>agreement</th><th>size</th><th>params</th><th>devices</th><th>classes</th></tr></thead>;
        return (
          <>
            <p><a href="#/models">← Model families</a></p>
            <h1>Family {props.family}</h1>
            <h2>Teacher</h2>
            {teachers.length === 0 ? <p class="muted">No teacher artifact in this family (uploaded models, or the teacher was given by id).</p> : (
              <table data-testid="teachers">{head}<tbody>{teachers.map(variantRow)}</tbody></table>
            )}
            <h2>Students</h2>
            {groups.map(([name, vs]) => {
              const t = teacherOf(vs[0]!);
              return (
                <section key={name} class="student" data-student={name}>
                  <h3>{name} {t ? <span class="muted">← teacher {models.find((m) => m.id === t)?.name ?? t.slice(0, 8)}</span> : null}</h3>
                  <table>{head}<tbody>{[...vs].sort((a, b) => a.precision.localeCompare(b.precision)).map(variantRow)}</tbody></table>
                </section>
              );
            })}
            <h2>Latency per hardware class: measured vs predicted (p95)</h2>
            <table data-testid="latency">
              <thead><tr><th>class</th><th>profile</th><th>variant</th><th>predicted p95</th><th>source</th><th>measured p95 (median)</th><th>reports</th><th>fits budget</th><th>chosen</th></tr></thead>
              <tbody>
                {profiles.flatMap((p, i) => (recommendations[i]?.candidates ?? []).filter((c) => models.some((m) => m.id === c.variantId)).map((c) => {
                  const got = measured.get(`${c.variantId}|${p.profileClass}`);
                  return (
                    <tr key={`${p.profileClass}${c.variantId}`} data-class={p.profileClass} data-variant={c.variantId}>
                      <td class="mono">{shortClass(p.profileClass)}</td>
                      <td>{describeProfile(p.example)}</td>
                      <td>{c.name} ({c.precision})</td>
                      <td class="n" data-field="predicted">{ms(c.predictedLatencyP95Ms)}</td>
                      <td>{c.latencySource}</td>
                      <td class="n" data-field="measured">{got ? ms(median(got.p95)) : '—'}</td>
                      <td class="n">{got?.p95.length ?? 0}</td>
                      <td>{c.fits ? <span class="ok">yes</span> : <span class="bad">no</span>}</td>
                      <td>{c.chosen ? '✓' : ''}</td>
                    </tr>
                  );
                }))}
              </tbody>
            </table>
          </>
        );
      }}
    </Show>
  );
}
