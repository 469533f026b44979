/** Public surface of @edgefleet/device-agent: run agents in-process, and the pure parts for reuse and tests. */
export { startAgent, type RunningAgent, type AgentStatus } from './agent';
export { nextReport, type AgentEvents } from './agent-events';
export { AGENT_VERSION } from './lib/version';
export { DEFAULT_BENCHMARK, DEFAULT_TRANSFER, defaultStateDir, type AgentOptions, type BenchmarkBudget, type TransferTuning } from './config/agent-options';
export { parseCliArgs, USAGE, type CliOptions } from './config/args';
export { PROFILE_PRESETS, HOST_PROFILE, resolveProfile, hostProfile } from './hardware/profiles';
export { detectHost, parseSimdFlags, type HostHardware } from './hardware/detect';
export { computeSlowdown, simdLanes, benchmarkThreads, type SlowdownResult } from './hardware/slowdown';
export { plan, type PlanInput, type ObjectStatus, type SignatureCheck } from './planner/planner';
export type { Step, ObjectKind } from './planner/steps';
export { runBenchmark, type BenchmarkRequest, type BenchmarkResult } from './benchmark/benchmark';
export { evaluateGates, allPassed } from './benchmark/gates';
export { percentile, summarize } from './benchmark/stats';
export { synthesizeFeeds, synthesizeTensor, concreteShape } from './benchmark/input-synthesis';
export { BlockBitmap, blockCount, blockLength } from './transfer/block-bitmap';
export * from './lib/errors';
export { createLogger, silentLogger, type Logger, type LogLevel } from './lib/logger';
export type { PersistedState, ActiveModel, OutcomeRecord } from './state/agent-state';
