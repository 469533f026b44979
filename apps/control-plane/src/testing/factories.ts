/**
 * Small factories for control-plane tests: a real (tiny) ONNX model, an eval set that fits it, device bodies and
 * an HTTP client that speaks the admin API. Test-only (imported by *.spec.ts files).
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeEvalSet, HardwareProfile } from '@edgefleet/contracts';
import { GraphBuilder } from '@edgefleet/onnx';
import { HttpClient, type HttpResponse } from '@edgefleet/toolkit';

/** x[batch, features] → softmax(x·W + b)[batch, classes]: loads and runs in onnxruntime. */
export function tinyClassifier(features = 4, classes = 3, seed = 1): Buffer {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', ['batch', features]);
  const w = Float32Array.from({ length: features * classes }, (_, i) => Math.sin(seed * 31 + i));
  const b = Float32Array.from({ length: classes }, (_, i) => i / 10);
  const logits = g.op('Add', [g.op('MatMul', [x, g.initializer('W', w, [features, classes])]), g.initializer('b', b, [classes])]);
  g.output(g.op('Softmax', [logits], { axis: -1 }), 'float32', ['batch', classes], 'probs');
  return Buffer.from(g.toModel());
}

export function evalSetFor(features = 4, classes = 3, n = 8): Buffer {
  return encodeEvalSet({
    inputName: '',
    sampleShape: [features],
    numClasses: classes,
    n,
    x: Float32Array.from({ length: n * features }, (_, i) => (i % 7) / 7),
    y: Int32Array.from({ length: n }, (_, i) => i % classes),
  });
}

/** A decompression bomb: `members` concatenated gzip members of 1 MiB of zeros each (~1 KB per MiB it expands to). */
export function gzipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024));
  return Buffer.concat(Array.from({ length: members }, () => member));
}

export const profile = (over: Partial<HardwareProfile> = {}): HardwareProfile =>
  ({ name: 'rpi4', arch: 'arm64', cores: 4, clockMhz: 1500, simd: ['neon'], ramMb: 4096, ...over });

export const deviceBody = (over: Record<string, unknown> = {}) =>
  ({ id: `dev-${randomUUID().slice(0, 8)}`, tags: ['lab'], profile: profile(), ...over });

export type ApiResponse<T = any> = HttpResponse<T>;

/** The admin API client (libs/toolkit) with the test's upload helper. */
export class ApiClient extends HttpClient {
  uploadModel(fields: Record<string, string>, file?: Buffer, evalSet?: Buffer) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    if (file) form.set('file', new Blob([file]), 'model.onnx');
    if (evalSet) form.set('evalSet', new Blob([evalSet]), 'eval.efev');
    return this.request('POST', '/api/v1/models', form);
  }
}
