import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line { label: string; values: Array<number | null>; color: string; scale?: string }

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563'];
export const color = (i: number): string => PALETTE[i % PALETTE.length]!;

/**
 * A uPlot line chart. `x` are seconds since the epoch when `time` (telemetry), else plain numbers (epochs).
 * Lines with `scale: 'right'` get their own axis on the right. `xRange` fixes the x axis (e.g. the queried time
 * range), so a series of one point is drawn where it belongs rather than on an axis uPlot made up around it.
 */
export function Chart(props: { title: string; x: number[]; lines: Line[]; time?: boolean; height?: number; yLabel?: string; rightLabel?: string; testId?: string; xRange?: [number, number] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const hasRight = props.lines.some((l) => l.scale === 'right');
    const opts: uPlot.Options = {
      title: props.title,
      width: Math.max(320, el.clientWidth || 640),
      height: props.height ?? 220,
      scales: { x: { time: props.time ?? false, ...(props.xRange && { range: props.xRange }) } },
      series: [{}, ...props.lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, scale: l.scale ?? 'y', spanGaps: true, points: { show: props.x.length < 60 } }))],
      axes: [
        {},
        { scale: 'y', label: props.yLabel },
        ...(hasRight ? [{ scale: 'right', side: 1, label: props.rightLabel, grid: { show: false } }] : []),
      ],
    };
    const plot = new uPlot(opts, [props.x, ...props.lines.map((l) => l.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, el.clientWidth), height: opts.height }));
    resize.observe(el);
    return () => { resize.disconnect(); plot.destroy(); };
  }, [props.title, props.x, props.lines, props.time, props.height, props.xRange?.[0], props.xRange?.[1]]);
  return <div class="chart" ref={host} data-testid={props.testId} />;
}
