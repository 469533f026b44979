import type { HardwareProfile, PublicKeyRef } from '@edgefleet/contracts';
import type { IsolatedBenchmarkOptions, IsolatedBenchmarkResult } from '../benchmark/isolated';
import type { DeviceHardware } from '../hardware/device-hardware';
import type { Logger } from '../lib/logger';
import type { ServeAddress } from '../serving/infer-http';
import type { TelemetryOptions } from '../telemetry/telemetry-reporter';

/** How hard the benchmark works: runs until both minimums are met, stops at either maximum. */
export interface BenchmarkBudget {
  warmupRuns: number;
  minRuns: number;
  minTimeMs: number;
  maxRuns: number;
  maxTimeMs: number;
  /** Batch size for accuracy on the eval set (when the model's batch dim is not fixed). */
  evalBatch: number;
}

export interface TransferTuning {
  /** Blocks requested but not yet received at the start (16 × 64 KiB: ~40 MB/s through Mosquitto on loopback, 8 gave ~15). */
  window: number;
  /**
   * The window grows up to this while throughput grows and shrinks on late answers (AdaptiveWindow); undefined or
   * equal to `window`: fixed. The control plane queues at most 128 blocks per device.
   */
  maxWindow?: number;
  /** First re-request delay of a missing block; doubles (with jitter) on each retry of that block. */
  requestTimeoutMs: number;
  maxRequestTimeoutMs: number;
  /** No block at all for this long → the transfer pauses (resumes on the next reconcile). */
  stallTimeoutMs: number;
}

/** Everything `startAgent` needs. Only `brokerUrl` and `deviceId` are required. */
export interface AgentOptions {
  brokerUrl: string;
  deviceId: string;
  /** Preset name (`gateway`, `rpi4`, `tight`, `mcu-lite`, `host`), path to a profile JSON, or a profile. */
  profile?: string | HardwareProfile;
  /** Default `./data/agent-<deviceId>`. */
  stateDir?: string;
  /**
   * Keys pinned by the operator (`--trust-key`: PEM, or with its id), trusted besides the control plane's set from
   * enrollment. Desired states must be signed by a trusted key unless `insecureNoSignature`.
   */
  trustedKeys?: Array<string | PublicKeyRef>;
  /** Accept unsigned desired states (development only; warned about on every start). */
  insecureNoSignature?: boolean;
  /** The control plane's HTTP API: enrollment and `GET /api/v1/trusted-keys`. */
  apiUrl?: string;
  /** Enroll with this token when the state dir holds no credential yet (needs apiUrl). */
  enrollToken?: string;
  name?: string;
  tags?: string[];
  /** MQTT login of a device created over REST (username defaults to the device id). */
  username?: string;
  password?: string;
  /** Largest model or eval set this device takes, bytes (a manifest naming a larger one is refused). */
  maxObjectBytes?: number;
  /** How often the trusted key set is fetched again (when apiUrl is known). */
  keyRefreshMs?: number;
  logger?: Logger;
  benchmark?: Partial<BenchmarkBudget>;
  /** PEM CA certificate(s) of a private CA (--ca-file): verifies an mqtts:// broker and an https:// apiUrl. */
  caPem?: string;
  /**
   * A file path shared by simulated agents on one host: they take turns benchmarking (withHostLock), as real devices
   * never share a CPU. Unset: benchmark at once.
   */
  benchmarkLock?: string;
  transfer?: Partial<TransferTuning>;
  /**
   * What the device is, already resolved (describeDevice): the fleet simulator resolves each class once instead of
   * reading the host again for every one of its devices. Wins over `profile`.
   */
  hardware?: DeviceHardware;
  /**
   * Runs the benchmark step (default runBenchmarkIsolated: onnxruntime in a child process). The fleet simulator
   * gives a per-class simulated benchmark (sim/simulated-benchmark.ts); everything else keeps the default.
   */
  benchmarkRunner?: (o: IsolatedBenchmarkOptions) => Promise<IsolatedBenchmarkResult>;
  /** Retry delay after a transient failure (transfer stall, lost connection): exponential from here. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Where `POST /v1/infer` listens (docs/telemetry.md): a loopback TCP address or a Unix socket, never a network
   * interface. Unset: no listener, the library API only (`agent.infer`); the CLI's default is 127.0.0.1:8470.
   */
  serve?: ServeAddress;
  /**
   * Load the active model into an inference session (default true: `agent.infer`, `serve`). The fleet simulator turns
   * it off: loading an onnxruntime session per simulated device was the largest CPU cost of a 1,000-device fleet (it
   * runs on the main thread) and serves nobody; what a device runs is still the active model it reports and keeps.
   */
  serveActiveModel?: boolean;
  telemetry?: TelemetryOptions;
  /** Resend delay of an unacknowledged progress/report (outbox): exponential from base, capped at max. */
  resend?: { baseMs: number; maxMs: number };
}

export const DEFAULT_BENCHMARK: BenchmarkBudget = { warmupRuns: 5, minRuns: 50, minTimeMs: 1000, maxRuns: 5000, maxTimeMs: 10_000, evalBatch: 32 };
export const DEFAULT_TRANSFER: TransferTuning = { window: 16, maxWindow: 64, requestTimeoutMs: 3000, maxRequestTimeoutMs: 30_000, stallTimeoutMs: 60_000 };

/** First resend of an unacknowledged message after 3 s (a commit takes ms; under load, seconds), then doubling up to 30 s. */
export const DEFAULT_RESEND = { baseMs: 3000, maxMs: 30_000 };

export const DEFAULT_MAX_OBJECT_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_KEY_REFRESH_MS = 60 * 60 * 1000;

export const defaultStateDir = (deviceId: string) => `./data/agent-${deviceId}`;
