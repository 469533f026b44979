import { udhrSplit } from './sources/udhr';
import type { TextSplit } from './text-dataset';

/** A few languages' UDHR paragraphs as a small text split, for tests that need real text in seconds. */
export async function tinyUdhr(langs = ['deu', 'eng', 'fra', 'ita', 'spa'], per = 20): Promise<TextSplit> {
  const raw = await udhrSplit({ perLanguage: 60 });
  const keep = new Set(langs);
  const index = new Map(langs.map((l, i) => [l, i]));
  const take = (rows: { text: string; label: string }[], max: number) => {
    const count = new Map<string, number>();
    const out = rows.filter((r) => keep.has(r.label) && (count.set(r.label, (count.get(r.label) ?? 0) + 1).get(r.label)! <= max));
    return { texts: out.map((r) => r.text), y: Int32Array.from(out, (r) => index.get(r.label)!) };
  };
  return { train: take(raw.train, per), test: take(raw.test, Math.ceil(per / 4)), labels: langs, source: 'udhr (tiny)' };
}
