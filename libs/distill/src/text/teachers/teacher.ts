import type { TextSplit } from '../text-dataset';
import type { CacheProgress } from './teacher-cache';

/** What a teacher's labelling cost: the expensive part of text distillation, reported beside the students. */
export interface TeacherCost {
  /** Seconds spent running the teacher model on texts in this run (0 when everything came from the cache). */
  labelSeconds: number;
  /** Texts the teacher model ran on in this run. */
  textsLabelled: number;
  /** Texts per second while it ran (undefined on a full cache hit). */
  textsPerSec?: number;
  cacheHit: boolean;
  /** Seconds spent fitting a classification head on the teacher's embeddings (embedding teachers). */
  headSeconds?: number;
}

export interface TeacherOutput {
  /** Class names, index = class; the students' output classes. */
  classes: string[];
  /** Class probabilities, n × classes, for the training and test rows. */
  train: Float32Array;
  test: Float32Array;
  /** Teacher accuracy on the labelled test rows against the data set's labels (undefined when none map). */
  name: string;
  params?: number;
  bytes?: number;
  cost: TeacherCost;
}

export interface TeacherRunOptions {
  /** Folder of the content-addressed cache of teacher outputs (undefined = no cache). */
  cacheDir?: string;
  onProgress?: (what: string, p: CacheProgress) => void;
  seed?: number;
  threads?: number;
  signal?: AbortSignal;
}

/** One interface, three kinds: `use-lite`, `fasttext-lid`, `openai:<url>#<model>` (docs/text.md). */
export interface TextTeacher {
  readonly name: string;
  label(data: TextSplit, o: TeacherRunOptions): Promise<TeacherOutput>;
}
