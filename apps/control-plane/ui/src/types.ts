// The API's views as the dashboard reads them (the OpenAPI document at /docs-json is the reference).

export interface HardwareProfile { name?: string; arch: string; cores: number; clockMhz?: number; simd?: string[]; ramMb: number; accelerator?: string; latencyBudgetMs?: number; slowdown?: number }

export interface Device {
  id: string; name: string; tags: string[]; profile: HardwareProfile; profileClass: string;
  status: 'registered' | 'online' | 'offline'; lastSeenAt: string | null; agentVersion: string | null; activeArtifactId: string | null;
}

export interface Model {
  id: string; name: string; version: string; precision: string; sha256: string; sizeBytes: number; params: number | null;
  family: string | null; metrics: Record<string, unknown> | null; lineage: Record<string, unknown> | null; createdAt: string;
}

export interface Report {
  id: string; deviceId: string; artifactId: string; deploymentId: string | null;
  latencyP50Ms: number | null; latencyP95Ms: number | null; latencyP99Ms: number | null; accuracy: number | null;
  peakRssMb: number | null; modelMemoryMb: number | null; metric: { task: string; name: string; value: number } | null; passed: boolean; activated: boolean; simulated: boolean; failureReason: string | null; createdAt: string;
}

export interface DeploymentDevice { deviceId: string; state: string; receivedBlocks: number; totalBlocks: number; error: string | null; updatedAt: string; report: Report | null }

export interface Deployment {
  id: string; status: string; artifact: { id: string; name: string; version: string; precision: string; sha256: string; sizeBytes: number };
  gates: Record<string, number>; target: Record<string, unknown>; createdBy: string | null; counts: Record<string, number>;
  createdAt: string; updatedAt: string; devices?: DeploymentDevice[];
}

export interface ProfileClass { profileClass: string; example: HardwareProfile; deviceCount: number }

export interface Candidate {
  variantId: string; name: string; version?: string; precision: string; macs: number; sizeBytes: number;
  predictedLatencyP95Ms: number; latencySource: string; accuracy?: number; fits: boolean; chosen: boolean;
}

export interface Recommendation { profileClass: string; family?: string; decision: string; chosen?: Candidate; candidates: Candidate[]; budget: { maxLatencyP95Ms?: number } }

export interface DistillationCurve { run: string; role: string; points: Array<[number, number, number | null]> }

export interface Distillation {
  id: string; status: string; request: { family?: string; students?: string[]; datasetId?: string; hyper?: { epochs?: number } } | null;
  progress: { phase?: string; run?: string; epoch?: number; epochs?: number; loss?: number; valAccuracy?: number; runsDone?: number; runsTotal?: number; curves?: DistillationCurve[] } | null;
  result: { artifactIds?: string[] } | null; error: string | null; createdAt: string; startedAt: string | null; finishedAt: string | null;
}

export interface TelemetryPoint { t: string; inferences: number; errors: number; latencyP50Ms: number | null; latencyP95Ms: number | null; meanTopProbability: number | null }
export interface TelemetrySeries { resolution: string; points: TelemetryPoint[] }
export interface DriftItem { modelId: string; profileClass: string; metric: string; value: number; drifted: boolean; windowEnd: string }

export interface RolloutDevice {
  deviceId: string; profileClass: string; wave: number; outcome: string; notifiedAt?: string; attempts?: number; retries?: Record<string, number>;
  lastFailure?: string; retryAt?: string; artifactId?: string; previousArtifactId?: string; p50Ms?: number; p95Ms?: number; accuracy?: number;
  baseline?: { p50Ms?: number; p95Ms?: number; accuracy?: number };
}

export interface ClassHealth {
  devices: number; finished: number; active: number; rejected: number; failed: number; timedOut: number; retrying: number;
  passPercent?: number; p50Ratio?: number; p95Ratio?: number; accuracy?: number; baselineAccuracy?: number;
}

export interface SuccessCriteria { minPassPercent?: number; maxP50Ratio?: number; maxP95Ratio?: number; minAccuracy?: number; maxAccuracyDrop?: number }

export interface RolloutPlan {
  waves: Array<{ percent?: number; count?: number; requireApproval?: boolean; startAt?: string; success?: SuccessCriteria }>;
  gates: { maxLatencyP95Ms?: number; minAccuracy?: number; maxMemoryMb?: number };
  rate?: { perMinute: number; ramp?: { factor: number; every: number; maxPerMinute: number } };
  abort?: { failurePercent: number; minDevices: number; action: string };
  retries?: { failed?: number; rejected?: number; timedOut?: number; backoffSec?: number; perMinute?: number };
  inProgressTimeoutMin?: number; stage?: boolean;
}

export interface Rollout {
  id: string; name: string; state: string; currentWave: number; plan: RolloutPlan; artifacts: Record<string, string>; reason: string | null;
  createdAt: string; createdBy: string | null; finishedAt: string | null;
}

export interface RolloutDetail extends Rollout {
  waves: Array<{ wave: number; devices: number; counts: Record<string, number> }>;
  classes: Record<string, ClassHealth>;
  decisions: Array<{ at: string; wave: number; action: string; reason: string; actor: string }>;
  devices: RolloutDevice[];
  failureRate: { finished: number; failures: number; rejected: number; failed: number; timedOut: number; percent?: number };
}
