import { ModelSpec, cnn, imageShape, isImageShape as isImage, mlp } from '../model/spec';
import { Network } from '../model/network';
import { DistillConfigError } from '../errors';

export const TEACHER_ARCHS = ['mlp', 'cnn'] as const;
export type TeacherArch = (typeof TEACHER_ARCHS)[number];

/** The teacher trained when none is given: regularised (dropout), as Hinton's teachers were. */
export function defaultTeacher(arch: TeacherArch | undefined, sampleShape: number[], numClasses: number): ModelSpec {
  const F = sampleShape.reduce((a, b) => a * b, 1);
  const kind = arch ?? (isImage(sampleShape) ? 'cnn' : 'mlp');
  if (kind === 'cnn') {
    if (!isImage(sampleShape)) throw new DistillConfigError(`a cnn teacher needs image samples; samples of shape [${sampleShape}] are tabular`);
    return cnn({ channels: [32, 64], dense: 128, numClasses, inputShape: imageShape(sampleShape), dropout: 0.3, name: 'teacher-cnn-32-64-128' });
  }
  return mlp([F, 512, 512, numClasses], { dropout: 0.3, inputDropout: 0.1, name: `teacher-mlp-${F}-512-512-${numClasses}` });
}

/** Student candidates, smallest first: narrow CNNs for images, one-hidden-layer MLPs always. */
export function studentCandidates(sampleShape: number[], numClasses: number): ModelSpec[] {
  const F = sampleShape.reduce((a, b) => a * b, 1);
  const out: ModelSpec[] = [8, 16, 32, 64, 128, 256].map((h) => mlp([F, h, numClasses]));
  if (isImage(sampleShape)) {
    const inputShape = imageShape(sampleShape);
    // 12-24-24 (~7% of the default CNN teacher): the smallest that kept ≥ 97% of its accuracy on
    // Fashion-MNIST; wider convolutions buy more than a wider dense layer at equal size.
    for (const [c1, c2, d] of [[4, 8, 16], [8, 16, 32], [12, 24, 24], [16, 32, 64]] as const) {
      out.push(cnn({ channels: [c1, c2], dense: d, numClasses, inputShape }));
    }
  }
  return out;
}

/**
 * Default ladder: up to `count` candidates whose size lies between 1% and 25% of the teacher's
 * parameters, spread over that range; falls back to the smallest candidates for tiny teachers.
 */
export function defaultStudents(teacherParams: number, sampleShape: number[], numClasses: number, count = 4): ModelSpec[] {
  const sized = studentCandidates(sampleShape, numClasses)
    .map((spec) => ({ spec, params: new Network(spec, sampleShape).paramCount }))
    .sort((a, b) => a.params - b.params);
  const fit = sized.filter((s) => s.params >= 0.01 * teacherParams && s.params <= 0.25 * teacherParams);
  const pool = fit.length > 0 ? fit : sized.slice(0, Math.min(2, sized.length));
  if (pool.length <= count) return pool.map((s) => s.spec);
  return Array.from({ length: count }, (_, i) => pool[Math.round((i * (pool.length - 1)) / (count - 1))]!.spec);
}
