import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { open } from 'node:fs/promises';
import { InvalidInputError, multipartFailure } from '@edgefleet/platform';
import type { ArtifactStore, StagedObject } from '@edgefleet/platform';
import { isGzip } from './dataset.files';
import { checkGzipBounds } from './gzip-bounds';
import { FILE_ROLES, FileRole, IDX_ROLES, TEXT_ROLES, type TextFileFormat } from './dataset.types';

export interface StagedDatasetFile {
  staged: StagedObject;
  gzip: boolean;
  /** Text train / test parts: JSONL or CSV (from the file name, else the first character). */
  text?: TextFileFormat;
}

export interface DatasetUploadParts {
  fields: Record<string, string>;
  files: Partial<Record<FileRole, StagedDatasetFile>>;
}

async function head(path: string, bytes = 2): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * A text part's format: the file name's extension when it says (.jsonl / .ndjson / .csv), otherwise JSONL when the
 * first character that is not white space (after a BOM) is `{`, else CSV. The reader then checks every row.
 */
export function textFormatOf(filename: string | undefined, start: Uint8Array): TextFileFormat {
  const ext = /\.([A-Za-z]+)$/.exec(filename ?? '')?.[1]?.toLowerCase();
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'csv') return 'csv';
  const text = Buffer.from(start).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return text.startsWith('{') ? 'jsonl' : 'csv';
}

/**
 * Reads a data set upload: file parts named by role (trainImages, trainLabels, testImages, testLabels for IDX;
 * csv for CSV; train, test and labels for text) stream into staged files of the artifact store; text fields are collected for validation. Every
 * part is consumed even after a problem; on failure all staged files are discarded.
 */
export async function readDatasetUpload(req: FastifyRequest, store: ArtifactStore, maxBytes: number): Promise<DatasetUploadParts> {
  const out: DatasetUploadParts = { fields: {}, files: {} };
  const problems: string[] = [];
  try {
    for await (const part of req.parts({ limits: { files: FILE_ROLES.length, fileSize: maxBytes } })) {
      if (part.type === 'field') {
        out.fields[part.fieldname] = String(part.value);
        continue;
      }
      const role = part.fieldname as FileRole;
      if (!FILE_ROLES.includes(role) || out.files[role]) {
        part.file.resume();
        problems.push(out.files[role] ? `file part ${role} given twice` : `unexpected file part ${JSON.stringify(part.fieldname)} (expected ${FILE_ROLES.join(', ')})`);
        continue;
      }
      const staged = await store.stage(part.file, maxBytes);
      const gzip = isGzip(await head(staged.path));
      const isText = (TEXT_ROLES as readonly string[]).includes(role);
      out.files[role] = { staged, gzip, ...(isText && role !== 'labels' ? { text: textFormatOf(part.filename, await head(staged.path, 4096)) } : {}) };
      // The text reader reads UTF-8 as it is (one parser, no second gzip path): a compressed text part is refused.
      if (gzip && isText) problems.push(`file part ${role} is gzip-compressed; text parts are plain UTF-8`);
      else if (gzip) await checkGzipBounds(staged.path, staged.size);
    }
    problems.push(...layoutProblems(out.files));
    if (problems.length > 0) throw new InvalidInputError(problems.join('; '), problems);
    return out;
  } catch (err) {
    await discardAll(out);
    throw multipartFailure(err);
  }
}

/** Exactly one layout: the csv part, the four IDX parts, or the text parts train and test (labels optional). */
function layoutProblems(files: DatasetUploadParts['files']): string[] {
  const idx = IDX_ROLES.filter((r) => files[r]);
  const text = TEXT_ROLES.filter((r) => files[r]);
  const layouts = [files.csv ? 'csv' : '', idx.length ? 'IDX' : '', text.length ? 'text' : ''].filter(Boolean);
  if (layouts.length > 1) return [`give one layout: the csv part, the four IDX parts or the text parts (train, test, labels), not ${layouts.join(' and ')}`];
  if (text.length > 0) return files.train && files.test ? [] : [`a text data set needs the train and test parts (JSONL or CSV with a text column); missing ${['train', 'test'].filter((r) => !files[r as 'train']).join(', ')}`];
  if (!files.csv && idx.length !== IDX_ROLES.length) {
    return [`expected a csv file part, all four IDX parts (${IDX_ROLES.join(', ')}) or the text parts train and test; missing ${IDX_ROLES.filter((r) => !files[r]).join(', ')}`];
  }
  return [];
}

export async function discardAll(parts: DatasetUploadParts): Promise<void> {
  for (const f of Object.values(parts.files)) await f.staged.discard();
}
