import { randomUUID } from 'node:crypto';
import {
  CONFIDENCE_BUCKETS, LATENCY_BUCKETS_MS, PROTOCOL_VERSION, latencyBucket, unitBucket, type TelemetryMessage, type TelemetryWindow,
} from '@edgefleet/contracts';
import { Prng } from '@edgefleet/toolkit';
import { AGENT_VERSION } from '../lib/version';
import { newMsgId } from '../state/outbox';

/** What a simulated device's window looks like (the fleet simulator and the telemetry bench share this). */
export interface SimulatedWindowOptions {
  /** sha256 of the model it "serves". */
  model?: string;
  classes: number;
  /** Inferences in the window. */
  inferences: number;
  /** Share of each class (default uniform); a skewed one drives drift. */
  classShares?: readonly number[];
  /** Median latency, ms (log-normal around it). */
  latencyMs?: number;
  errorRate?: number;
  end?: Date;
  lengthMs?: number;
}

/**
 * A plausible telemetry window drawn from `prng`, aggregated exactly as the agent aggregates (same buckets), so
 * the control plane cannot tell it from a real agent's. Deterministic for a seed.
 */
export function simulatedWindow(prng: Prng, o: SimulatedWindowOptions): TelemetryWindow {
  const end = o.end ?? new Date();
  const lengthMs = o.lengthMs ?? 60_000;
  const shares = o.classShares ?? new Array<number>(o.classes).fill(1 / o.classes);
  const cum = shares.map(((s) => (v: number) => (s += v))(0));
  const lat = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  const cls = new Array<number>(o.classes).fill(0);
  const conf = new Array<number>(CONFIDENCE_BUCKETS).fill(0);
  const margin = new Array<number>(CONFIDENCE_BUCKETS).fill(0);
  const ent = new Array<number>(CONFIDENCE_BUCKETS).fill(0);
  let latSum = 0;
  let pSum = 0;
  let err = 0;
  let n = 0;
  for (let i = 0; i < o.inferences; i++) {
    if (prng.next() < (o.errorRate ?? 0)) {
      err++;
      continue;
    }
    n++;
    const ms = (o.latencyMs ?? 5) * Math.exp(0.3 * prng.normal());
    latSum += ms;
    lat[latencyBucket(ms)]!++;
    const u = prng.next() * cum.at(-1)!;
    const c = Math.max(0, cum.findIndex((x) => u < x));
    cls[c]!++;
    const p = 0.5 + 0.5 * prng.next();
    pSum += p;
    conf[unitBucket(p)]!++;
    margin[unitBucket(p - (1 - p) / Math.max(1, o.classes - 1))]!++;
    ent[unitBucket(1 - p)]!++;
  }
  return {
    id: randomUUID(), start: new Date(end.getTime() - lengthMs).toISOString(), end: end.toISOString(), ...(o.model && { model: o.model }),
    n, err, latSum: Math.round(latSum * 1000) / 1000, pSum: Math.round(pSum * 1e6) / 1e6, lat, cls, conf, margin, ent,
  };
}

/** One telemetry message of `windows` simulated windows, a msgId and a heartbeat, ready to publish on `topics.telemetry(id)`. */
export function simulatedTelemetryMessage(prng: Prng, windows: number, o: SimulatedWindowOptions): TelemetryMessage {
  return {
    v: PROTOCOL_VERSION,
    msgId: newMsgId(), // as the agent's: the control plane acks it once the windows are committed
    windows: Array.from({ length: windows }, () => simulatedWindow(prng, o)),
    heartbeat: {
      at: new Date().toISOString(), cpu: Math.round(prng.next() * 100) / 1000, rssMb: 60 + Math.round(prng.next() * 40), diskFreeMb: 10_000,
      uptimeS: 60, agentVersion: AGENT_VERSION, ...(o.model && { activeSha256: o.model }),
    },
  };
}
