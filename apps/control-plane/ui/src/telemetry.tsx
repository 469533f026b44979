import { useMemo } from 'preact/hooks';
import { getOptional, Page } from './api';
import { Chart, color } from './chart';
import { useLoad } from './hooks';
import type { DriftItem, TelemetrySeries } from './types';

/**
 * The telemetry query of the API for the last `hours`, filtered by device, class or model: per minute (`1m`, the
 * default) or one point per window (`raw`, for one device), drawn over the whole queried range.
 */
export function TelemetryCharts(props: { filter: { deviceId?: string; profileClass?: string; modelId?: string }; hours?: number; resolution?: 'raw' | '1m' }) {
  const key = JSON.stringify(props.filter);
  const resolution = props.resolution ?? '1m';
  const v = useLoad(async (signal) => {
    const to = new Date();
    const from = new Date(to.getTime() - (props.hours ?? 1) * 3_600_000);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), resolution, ...props.filter });
    const series = await getOptional<TelemetrySeries>(`/telemetry/series?${q}`, signal);
    return series && { series, range: [from.getTime() / 1000, to.getTime() / 1000] as [number, number] };
  }, [key, props.hours, resolution], 15_000);
  const data = useMemo(() => {
    if (v.state !== 'ok' || !v.value || v.value.series.points.length === 0) return undefined;
    const pts = v.value.series.points;
    return {
      range: v.value.range,
      x: pts.map((p) => Date.parse(p.t) / 1000),
      traffic: [
        { label: 'inferences', values: pts.map((p) => p.inferences), color: color(0) },
        { label: 'errors', values: pts.map((p) => p.errors), color: color(1) },
      ],
      latency: [
        { label: 'p50 ms', values: pts.map((p) => p.latencyP50Ms), color: color(2) },
        { label: 'p95 ms', values: pts.map((p) => p.latencyP95Ms), color: color(4) },
        { label: 'mean top probability', values: pts.map((p) => p.meanTopProbability), color: color(3), scale: 'right' },
      ],
    };
  }, [v]);
  if (v.state === 'loading') return <p class="muted">Loading telemetry…</p>;
  if (v.state === 'error') return <p class="error">Telemetry: {v.error.message}</p>;
  if (!data) return <p class="muted" data-testid="no-telemetry">No telemetry yet{v.value ? ' in the last hour' : ' (this control plane has no telemetry API)'}.</p>;
  return (
    <div class="charts" data-testid="telemetry-charts">
      <Chart title={`Inferences and errors per ${resolution === 'raw' ? 'window' : 'minute'}`} time x={data.x} xRange={data.range} lines={data.traffic} testId="chart-traffic" />
      <Chart title="Latency and confidence" time x={data.x} xRange={data.range} lines={data.latency} yLabel="ms" rightLabel="probability" testId="chart-latency" />
    </div>
  );
}

/** Drift flags (GET /telemetry/drift); undefined when the control plane has no telemetry API. */
export const loadDrift = async (signal: AbortSignal): Promise<DriftItem[] | undefined> =>
  (await getOptional<Page<DriftItem>>('/telemetry/drift?limit=500', signal))?.items;
