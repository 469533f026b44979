import { DistillConfigError } from '../../errors';
import { openAiEmbedder, useLiteEmbedder } from './embedders';
import { EmbeddingTeacher } from './embedding-teacher';
import { FastTextLidTeacher } from './fasttext-lid';
import type { TextTeacher } from './teacher';

export * from './teacher';
export * from './teacher-cache';
export * from './embedders';
export * from './embedding-teacher';
export * from './fasttext-lid';

export const TEACHER_SYNTAX = 'use-lite | fasttext-lid | openai:<url>#<model>';

/** The CLI's and the REST API's teacher syntax → a teacher. */
export function parseTextTeacher(spec: string, o: { apiKey?: string } = {}): TextTeacher {
  if (spec === 'use-lite') return new EmbeddingTeacher('use-lite', useLiteEmbedder);
  if (spec === 'fasttext-lid') return new FastTextLidTeacher();
  if (spec.startsWith('openai:')) return new EmbeddingTeacher(spec, () => openAiEmbedder(spec.slice('openai:'.length), o.apiKey));
  throw new DistillConfigError(`unknown text teacher "${spec}": expected ${TEACHER_SYNTAX}`);
}
