/**
 * What onnxruntime actually runs for a model at batch 1: the op list of its optimized graph and the p50 kernel time
 * of each node from its own profiler (for `bench int8 --profile`). The profiler adds ~2–3 µs to every node, so the
 * times compare nodes and models with each other, not with the bench's end-to-end p50.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { inferenceSessionOptions } from '@edgefleet/contracts';

export interface NodeProfile {
  /** Op types of onnxruntime's optimized graph, in its order (domain-qualified when not ONNX's own). */
  ops: string[];
  /** Per node (profiler order): its op type and p50 kernel time over the profiled runs, µs. */
  nodes: Array<{ node: string; op: string; p50Us: number }>;
}

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface ProfileEvent { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }

export async function profileNodes(model: Uint8Array, sample: Float32Array, dims: number[], threads: number, runs: number): Promise<NodeProfile> {
  const dir = await mkdtemp(join(tmpdir(), 'int8-profile-'));
  try {
    const session = await ort.InferenceSession.create(model, {
      ...inferenceSessionOptions(threads), enableProfiling: true, profileFilePrefix: join(dir, 'profile'),
      optimizedModelFilePath: join(dir, 'optimized.onnx'), logSeverityLevel: 3,
    });
    try {
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', sample, dims) };
      for (let i = 0; i < runs; i++) await session.run(feeds);
      session.endProfiling();
    } finally {
      await session.release();
    }
    const graph = onnx.ModelProto.decode(await readFile(join(dir, 'optimized.onnx'))).graph;
    const ops = (graph?.node ?? []).map((n) => (n.domain ? `${n.opType}(${n.domain})` : String(n.opType)));
    const file = (await readdir(dir)).find((f) => f.startsWith('profile') && f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as ProfileEvent[];
    const times = new Map<string, { op: string; us: number[] }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || e.dur === undefined) continue;
      const node = e.name.slice(0, -'_kernel_time'.length);
      const t = times.get(node) ?? times.set(node, { op: e.args?.op_name ?? '?', us: [] }).get(node)!;
      t.us.push(e.dur);
    }
    return { ops, nodes: [...times].map(([node, t]) => ({ node, op: t.op, p50Us: p50(t.us) })) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
