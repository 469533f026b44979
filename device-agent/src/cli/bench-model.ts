/**
 * `npm run -s bench-model -- --model m.onnx [--input-spec spec.json] [--eval-set set.efev] [--profile <preset>] --json`
 *
 * Benchmarks a model on this machine with exactly the agent's benchmark (runBenchmarkIsolated: a child process, the
 * same input synthesis, scoring and memory measure) before it is uploaded, and prints what the agent would report.
 * A model the control plane would refuse (inputs a device cannot build) is refused here with the same reason.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import {
  EvalSetFormatError, InputSpecError, decodeAnyEvalSet, inputSpecGaps, parseInputSpec, readModelSignature, type Gates, type InputSpec, type TensorInfo,
} from '@edgefleet/contracts';
import { runCommand, type CommandSpec } from '@edgefleet/toolkit';
import { DEFAULT_BENCHMARK } from '../config/agent-options';
import { describeDevice } from '../hardware/device-hardware';
import { PROFILE_PRESETS } from '../hardware/profiles';
import { allPassed, evaluateGates } from '../benchmark/gates';
import { runBenchmarkIsolated } from '../benchmark/isolated';
import { isAgentError } from '../lib/errors';

const SPEC: CommandSpec = {
  name: 'bench-model',
  invocation: 'npm run -s bench-model --',
  summary: 'Benchmark an ONNX model with the device agent\'s own benchmark on this machine and print the report the agent would send.',
  options: {
    model: { type: 'string', arg: '<m.onnx>', help: 'the model (required)' },
    'input-spec': { type: 'string', arg: '<spec.json>', help: 'how to build its inputs (docs/models.md "Input specifications")' },
    'eval-set': { type: 'string', arg: '<set.efev>', help: 'score it on this eval set (npm run eval-set builds one)' },
    profile: { type: 'string', arg: '<preset>', help: `simulate this device class: host (default) | ${Object.keys(PROFILE_PRESETS).join(' | ')} | <file.json>` },
    'max-latency-ms': { type: 'string', arg: '<ms>', help: 'gate: p95 latency at most this (on the simulated class)' },
    'min-accuracy': { type: 'string', arg: '<0..1>', help: 'gate: the eval set\'s accuracy at least this' },
    'max-memory-mb': { type: 'string', arg: '<MB>', help: 'gate: the model\'s own memory at most this' },
    json: { type: 'boolean', help: 'print the report as one JSON object' },
  },
  notes: ['Exit 1 with a one-line reason when the model cannot be benchmarked.'],
};

/** A reason the user can act on: printed as one line. */
class Refused extends Error {}

runCommand(SPEC, process.argv.slice(2), async (cl) => {
  cl.require('model');
  const gates: Gates = {
    ...(cl.string('max-latency-ms') !== undefined && { maxLatencyP95Ms: cl.number('max-latency-ms', { above: 0 }) }),
    ...(cl.string('min-accuracy') !== undefined && { minAccuracy: cl.number('min-accuracy', { min: 0, max: 1 }) }),
    ...(cl.string('max-memory-mb') !== undefined && { maxMemoryMb: cl.number('max-memory-mb', { above: 0 }) }),
  };
  cl.done();
  const modelPath = cl.string('model')!;
  const evalSetPath = cl.string('eval-set');
  const inputSpec = await readInputSpec(cl.string('input-spec'));
  const evalInput = evalSetPath ? await evalSetInput(evalSetPath) : undefined;
  const signature = await readSignature(modelPath);
  const gaps = inputSpecGaps(signature, inputSpec, evalInput === undefined ? undefined : evalInput || signature.inputs[0]?.name);
  if (gaps.length > 0) throw new Refused(`devices could not build this model's inputs: ${gaps.join('; ')}`);

  const device = await describeDevice(cl.string('profile'));
  const result = await runBenchmarkIsolated({
    modelPath, evalSetPath, inputSpec, budget: DEFAULT_BENCHMARK, threads: device.threads, slowdown: device.slowdown.factor,
  });
  const gateResults = evaluateGates(gates, { p95Ms: result.latency.p95Ms, accuracy: result.accuracy, modelMemoryMb: result.modelMemoryMb });
  const report = {
    model: modelPath,
    profile: device.profile.name ?? 'host',
    simulated: device.simulated,
    ...(device.simulated && { slowdownFactor: device.slowdown.factor }),
    threads: device.threads,
    ...result,
    gateResults,
    passed: allPassed(gateResults),
  };
  if (cl.flag('json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const l = result.latency;
  const lines = [
    `${modelPath} on ${report.profile}${device.simulated ? ` (simulated, ×${device.slowdown.factor})` : ''}, ${device.threads} thread(s), ${result.inputSource} inputs`,
    `latency p50 ${l.p50Ms} ms  p95 ${l.p95Ms} ms  p99 ${l.p99Ms} ms  (${result.runs} runs)`,
    `memory: model ${result.modelMemoryMb} MB (process peak ${result.peakRssMb} MB − runtime ${result.runtimeBaselineMb} MB)`,
    ...(result.metric ? [`${result.metric.task}: ${result.metric.name} ${result.metric.value}${result.metric.rmse !== undefined ? `, rmse ${result.metric.rmse}` : ''} on ${result.evalSamples} samples`] : []),
    ...gateResults.map((g) => `gate ${g.gate} ${g.passed ? 'passed' : 'FAILED'}: ${g.measured ?? 'not measured'} vs ${g.limit}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}, (err) => err instanceof Refused || isAgentError(err) || err instanceof InputSpecError || err instanceof EvalSetFormatError || (err as NodeJS.ErrnoException)?.code === 'ENOENT');

async function readInputSpec(path: string | undefined): Promise<InputSpec | undefined> {
  if (path === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw new Refused(`${path} is not JSON: ${err.message}`);
    throw err;
  }
  return parseInputSpec(raw);
}

/** The input the eval set feeds ('' = the model's first). */
async function evalSetInput(path: string): Promise<string> {
  return decodeAnyEvalSet(await readFile(path)).inputName;
}

/** The model's inputs and outputs as onnxruntime reports them (what the control plane stores at upload). */
const readSignature = (path: string) => readModelSignature(
  () => ort.InferenceSession.create(path, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 }), (reason) => new Refused(reason));
