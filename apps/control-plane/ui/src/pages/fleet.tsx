import { all, get } from '../api';
import { Show, useLoad } from '../hooks';
import { ago, describeProfile, shortClass } from '../format';
import { loadDrift, TelemetryCharts } from '../telemetry';
import type { Device, DriftItem, Model, ProfileClass } from '../types';

interface ClassRow {
  profileClass: string; example: string; devices: number; online: number; offline: number; registered: number;
  models: Array<{ label: string; count: number }>; agents: Array<{ version: string; count: number }>; drift: DriftItem[];
}

const tally = (xs: string[]) => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].sort((a, b) => b[1] - a[1]);

export const modelLabel = (m: Model | undefined, id: string): string => (m ? `${m.name}@${m.version} (${m.precision})` : id.slice(0, 8));

export function FleetPage() {
  const v = useLoad(async (signal) => {
    const [devices, models, profiles, drift] = await Promise.all([
      all<Device>('/devices', signal), all<Model>('/models', signal), get<{ items: ProfileClass[] }>('/profiles', signal), loadDrift(signal),
    ]);
    return { devices, models, profiles: profiles.items, drift };
  }, [], 10_000);
  return (
    <Show v={v}>
      {({ devices, models, profiles, drift }) => {
        const byId = new Map(models.map((m) => [m.id, m]));
        const classes: ClassRow[] = profiles.map((p) => {
          const ds = devices.filter((d) => d.profileClass === p.profileClass);
          return {
            profileClass: p.profileClass,
            example: describeProfile(p.example),
            devices: ds.length,
            online: ds.filter((d) => d.status === 'online').length,
            offline: ds.filter((d) => d.status === 'offline').length,
            registered: ds.filter((d) => d.status === 'registered').length,
            models: tally(ds.map((d) => (d.activeArtifactId ? modelLabel(byId.get(d.activeArtifactId), d.activeArtifactId) : 'none'))).map(([label, count]) => ({ label, count })),
            agents: tally(ds.map((d) => d.agentVersion ?? 'unknown')).map(([version, count]) => ({ version, count })),
            drift: (drift ?? []).filter((x) => x.profileClass === p.profileClass && x.drifted),
          };
        });
        const online = devices.filter((d) => d.status === 'online').length;
        const offline = devices.filter((d) => d.status === 'offline').length;
        return (
          <>
            <h1>Fleet</h1>
            <div class="stats">
              <Stat label="devices" value={devices.length} id="stat-devices" />
              <Stat label="online" value={online} id="stat-online" />
              <Stat label="offline" value={offline} id="stat-offline" />
              <Stat label="hardware classes" value={profiles.length} id="stat-classes" />
              <Stat label="drift flags" value={drift === undefined ? '—' : drift.filter((d) => d.drifted).length} id="stat-drift" />
            </div>
            <h2>Hardware classes</h2>
            <table data-testid="classes">
              <thead><tr><th>class</th><th>profile</th><th>devices</th><th>online</th><th>offline</th><th>models running</th><th>agent versions</th><th>drift</th></tr></thead>
              <tbody>
                {classes.map((c) => (
                  <tr key={c.profileClass} data-class={c.profileClass}>
                    <td class="mono">{shortClass(c.profileClass)}</td>
                    <td>{c.example}</td>
                    <td class="n" data-field="devices">{c.devices}</td>
                    <td class="n" data-field="online">{c.online}</td>
                    <td class="n" data-field="offline">{c.offline}</td>
                    <td>{c.models.map((m) => <div key={m.label}>{m.label} × {m.count}</div>)}</td>
                    <td>{c.agents.map((a) => <div key={a.version}>{a.version} × {a.count}</div>)}</td>
                    <td>{drift === undefined ? <span class="muted">no telemetry API</span> : c.drift.length === 0 ? <span class="ok">none</span> : c.drift.map((d) => <div key={`${d.modelId}${d.metric}`} class="bad">{d.metric} {d.value.toFixed(3)} on {modelLabel(byId.get(d.modelId), d.modelId)}</div>)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Fleet telemetry (last hour)</h2>
            {profiles.length > 0 ? profiles.map((p) => (
              <section key={p.profileClass}>
                <h3>class <span class="mono">{shortClass(p.profileClass)}</span> — {describeProfile(p.example)}</h3>
                <TelemetryCharts filter={{ profileClass: p.profileClass }} />
              </section>
            )) : <p class="muted">No devices yet.</p>}
            <h2>Devices</h2>
            <table data-testid="devices">
              <thead><tr><th>device</th><th>class</th><th>status</th><th>last seen</th><th>agent</th><th>active model</th><th>tags</th></tr></thead>
              <tbody>
                {devices.map((d) => (
                  <tr key={d.id} data-device={d.id}>
                    <td><a href={`#/devices/${encodeURIComponent(d.id)}`}>{d.id}</a></td>
                    <td class="mono">{shortClass(d.profileClass)}</td>
                    <td><span class={`status ${d.status}`}>{d.status}</span></td>
                    <td>{ago(d.lastSeenAt)}</td>
                    <td>{d.agentVersion ?? '—'}</td>
                    <td>{d.activeArtifactId ? modelLabel(byId.get(d.activeArtifactId), d.activeArtifactId) : '—'}</td>
                    <td>{d.tags.join(', ')}</td>
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

export function Stat(props: { label: string; value: string | number; id?: string }) {
  return <div class="stat" data-testid={props.id}><div class="value">{props.value}</div><div class="label">{props.label}</div></div>;
}
