import { DistillMetrics, DistillProgress } from '../pipeline/options';

/** The one JSON object `--json` prints: the documented shape, nothing else. */
export function publicJson(m: DistillMetrics): object {
  return {
    teacher: { accuracy: m.teacher.accuracy, params: m.teacher.params, bytes: m.teacher.bytes },
    students: m.students.map((s) => ({
      name: s.name, params: s.params, macs: s.macs, accuracy: s.accuracy, agreement: s.agreement, bytes: s.bytes,
      hardLabelBaseline: s.hardLabelBaseline ? { accuracy: s.hardLabelBaseline.accuracy } : null,
      int8: s.int8
        ? { accuracy: s.int8.accuracy, bytes: s.int8.bytes, latencyP50Ms: s.int8.latencyP50Ms, format: s.int8.format, fp32LatencyP50Ms: s.int8.fp32LatencyP50Ms, fasterThanFp32: s.int8.fasterThanFp32 }
        : null,
      fp16: s.fp16 ? { accuracy: s.fp16.accuracy, bytes: s.fp16.bytes } : null,
    })),
  };
}

const pct = (x: number | undefined): string => (x === undefined ? '   -  ' : `${(100 * x).toFixed(2)}%`);
const secs = (ms: number): string => (ms >= 60000 ? `${Math.floor(ms / 60000)}m${Math.round((ms % 60000) / 1000)}s` : `${Math.round(ms / 1000)}s`);

export function progressLine(p: DistillProgress): string {
  return `${p.role.padEnd(8)} ${p.run}  epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)}  val ${pct(p.valAccuracy)}  ` +
    `${Math.round(p.samplesPerSec)} samples/s  ETA ${secs(p.etaMs)}`;
}

export function summaryTable(m: DistillMetrics): string {
  const rows = [
    `teacher ${m.teacher.name}: accuracy ${pct(m.teacher.accuracy)}, ${m.teacher.params} params, ${m.teacher.bytes} bytes`,
    ['student', 'params', 'MACs', 'KD acc', 'hard acc', 'agree', 'fp32 B', 'int8 acc', 'int8 B', 'int8 format', 'fp16 acc'].join('\t'),
    ...m.students.map((s) => [s.name, s.params, s.macs, pct(s.accuracy), pct(s.hardLabelBaseline?.accuracy), pct(s.agreement), s.bytes,
      pct(s.int8?.accuracy), s.int8?.bytes ?? '-', s.int8 ? `${s.int8.format}${s.int8.fasterThanFp32 === false ? ' (slower than fp32)' : ''}` : '-', pct(s.fp16?.accuracy)].join('\t')),
    ...m.warnings.map((w) => `warning: ${w}`),
  ];
  return rows.join('\n');
}
