import type { HardwareProfile } from '@edgefleet/contracts';
import type { ClassProfile, Observation, Variant } from '@edgefleet/selection';
import type { CatalogueRow } from '@edgefleet/catalog';
import type { LatencyObservationRow } from '../reports/report.repository';

/** Database rows → the plain shapes libs/selection works on. */

export const toClassProfile = (profileClass: string, p: HardwareProfile): ClassProfile =>
  ({ profileClass, name: p.name, arch: p.arch, cores: p.cores, clockMhz: p.clockMhz, simd: p.simd, ramMb: p.ramMb });

export const toObservation = (r: LatencyObservationRow): Observation => ({
  profileClass: r.profileClass, variantId: r.artifactId, latencyP95Ms: r.latencyP95Ms,
  modelMemoryMb: r.modelMemoryMb ?? undefined, accuracy: r.accuracy ?? undefined, simulated: r.simulated,
});

interface TensorJson { dims?: unknown[] }

/** [batch, ...sample] → sample, when every sample dim is a fixed number. */
function sampleShape(inputs: unknown): number[] | undefined {
  const dims = (Array.isArray(inputs) ? (inputs[0] as TensorJson | undefined)?.dims : undefined) ?? [];
  const rest = dims.slice(1);
  return rest.length > 0 && rest.every((d) => typeof d === 'number' && d > 0) ? (rest as number[]) : undefined;
}

function classCount(outputs: unknown): number | undefined {
  const dims = (Array.isArray(outputs) ? (outputs[0] as TensorJson | undefined)?.dims : undefined) ?? [];
  const last = dims[dims.length - 1];
  return typeof last === 'number' && last > 0 ? last : undefined;
}

function metricAccuracy(metrics: unknown): number | undefined {
  const a = metrics && typeof metrics === 'object' ? (metrics as Record<string, unknown>).accuracy : undefined;
  return typeof a === 'number' && a >= 0 && a <= 1 ? a : undefined;
}

/** A quantized artifact's batch-1 p50 and its fp32 twin's from one alternated timing (distillation int8 metrics). */
function madeLatency(metrics: unknown): Variant['madeLatency'] {
  const m = metrics && typeof metrics === 'object' ? (metrics as Record<string, unknown>) : {};
  const [p50Ms, fp32P50Ms] = [m.latencyP50Ms, m.fp32LatencyP50Ms];
  return typeof p50Ms === 'number' && typeof fp32P50Ms === 'number' && p50Ms > 0 && fp32P50Ms > 0 ? { p50Ms, fp32P50Ms } : undefined;
}

export const toVariant = (a: CatalogueRow, macs: number): Variant => ({
  id: a.id, name: a.name, version: a.version, precision: a.precision, family: a.family, macs, params: a.params,
  sizeBytes: a.sizeBytes, accuracy: metricAccuracy(a.metrics), inputShape: sampleShape(a.inputs), numClasses: classCount(a.outputs),
  madeLatency: madeLatency(a.metrics),
});
