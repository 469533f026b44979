import { DistillConfigError } from '../../errors';
import { openAiEmbedder, useLiteEmbedder } from './embedders';
import { EmbeddingTeacher } from './embedding-teacher';
import { FastTextLidTeacher, lid176Languages } from './fasttext-lid';
import type { TextTeacher } from './teacher';

export * from './teacher';
export * from './teacher-cache';
export * from './embedders';
export * from './embedding-teacher';
export * from './fasttext-lid';

export const TEACHER_SYNTAX = 'use-lite | fasttext-lid | openai:<url>#<model>';
/** The teacher grammar of the CLI and the REST API (`openai:` takes an http(s) URL, `#`, a model name). */
export const TEXT_TEACHER_PATTERN = /^(use-lite|fasttext-lid|openai:https?:\/\/[^\s#]+#\S+)$/;

/** The URL of an `openai:<url>#<model>` teacher (undefined for the local ones). */
export function remoteTeacherUrl(spec: string): URL | undefined {
  if (!spec.startsWith('openai:')) return undefined;
  try {
    return new URL(spec.slice('openai:'.length).split('#')[0]!);
  } catch {
    throw new DistillConfigError(`text teacher "${spec}": not a URL (expected ${TEACHER_SYNTAX})`);
  }
}

/**
 * How many classes a teacher's students output, known before it runs: fastText's own languages, otherwise the data
 * set's labels (an embedding teacher's head needs at least two).
 */
export async function textTeacherClassCount(spec: string, datasetLabels: number): Promise<number> {
  if (spec === 'fasttext-lid') return (await lid176Languages()).length;
  if (datasetLabels < 2) throw new DistillConfigError(`text teacher ${spec} fits a head on the labelled rows: the data set needs at least 2 labels (it has ${datasetLabels})`);
  return datasetLabels;
}

/** The CLI's and the REST API's teacher syntax → a teacher. */
export function parseTextTeacher(spec: string, o: { apiKey?: string } = {}): TextTeacher {
  if (!TEXT_TEACHER_PATTERN.test(spec)) throw new DistillConfigError(`unknown text teacher "${spec}": expected ${TEACHER_SYNTAX}`);
  if (spec === 'use-lite') return new EmbeddingTeacher('use-lite', useLiteEmbedder);
  if (spec === 'fasttext-lid') return new FastTextLidTeacher();
  if (spec.startsWith('openai:')) return new EmbeddingTeacher(spec, () => openAiEmbedder(spec.slice('openai:'.length), o.apiKey));
  throw new DistillConfigError(`unknown text teacher "${spec}": expected ${TEACHER_SYNTAX}`);
}
