import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { open } from 'node:fs/promises';
import { InvalidInputError, multipartFailure } from '@edgefleet/platform';
import type { ArtifactStore, StagedObject } from '@edgefleet/platform';
import { isGzip } from './dataset.files';
import { checkGzipBounds } from './gzip-bounds';
import { FILE_ROLES, FileRole, IDX_ROLES } from './dataset.types';

export interface StagedDatasetFile {
  staged: StagedObject;
  gzip: boolean;
}

export interface DatasetUploadParts {
  fields: Record<string, string>;
  files: Partial<Record<FileRole, StagedDatasetFile>>;
}

async function head(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a data set upload: file parts named by role (trainImages, trainLabels, testImages, testLabels for IDX;
 * csv for CSV) stream into staged files of the artifact store; text fields are collected for validation. Every
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
      out.files[role] = { staged, gzip: isGzip(await head(staged.path)) };
      if (out.files[role].gzip) await checkGzipBounds(staged.path, staged.size);
    }
    const idx = IDX_ROLES.filter((r) => out.files[r]);
    if (out.files.csv && idx.length > 0) problems.push('give either the csv part or the four IDX parts, not both');
    else if (!out.files.csv && idx.length !== IDX_ROLES.length) {
      problems.push(`expected a csv file part or all four IDX parts (${IDX_ROLES.join(', ')}); missing ${IDX_ROLES.filter((r) => !out.files[r]).join(', ')}`);
    }
    if (problems.length > 0) throw new InvalidInputError(problems.join('; '), problems);
    return out;
  } catch (err) {
    await discardAll(out);
    throw multipartFailure(err);
  }
}

export async function discardAll(parts: DatasetUploadParts): Promise<void> {
  for (const f of Object.values(parts.files)) await f.staged.discard();
}
