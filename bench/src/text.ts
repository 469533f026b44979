/**
 * `npm run bench -- text [--only spam|lid] [--json] …` (options: `npm run bench -- text --help`).
 * Text distillation (docs/text.md): spam with the use-lite teacher and language identification with fastText as
 * the only teacher. Teacher outputs are cached content-addressed under --cache; the first run fills it.
 */
import type { CommandLine, CommandSpec } from '@edgefleet/toolkit';
import { DEFAULT_TEXT_FEATURIZER } from '@edgefleet/distill';
import { lidBench } from './text-lid';
import { spamBench } from './text-spam';

export const command: CommandSpec = {
  name: 'bench text',
  invocation: 'npm run bench -- text',
  summary: 'Spam (use-lite teacher, KD vs hard labels, ≤ 1 MB int8 student) and language id (fastText-only teacher, ≤ 2 MB int8 student).',
  options: {
    only: { type: 'string', arg: 'spam|lid', help: 'run one half' },
    'spam-train': { type: 'string', arg: '<n>', help: 'training emails, a stratified head of the fixed split (default 1000)' },
    'spam-test': { type: 'string', arg: '<n>', help: 'held-out emails (default 400)' },
    seeds: { type: 'string', arg: '<n>', help: 'seeds for KD vs hard labels (default 3)' },
    epochs: { type: 'string', arg: '<n>', help: 'spam student epochs (default 30)' },
    'spam-student': { type: 'string', arg: '<spec>', help: 'default mlp:64' },
    'lid-student': { type: 'string', arg: '<spec>', help: 'default mlp:128' },
    'lid-epochs': { type: 'string', arg: '<n>', help: 'default 30' },
    'lid-per-language': { type: 'string', arg: '<n>', help: 'cap paragraphs per language (default all)' },
    'lid-paragraphs-only': { type: 'boolean', help: "do not add the training paragraphs' sentences to the transfer set" },
    cache: { type: 'string', arg: '<dir>', help: 'teacher output cache (default data/teacher-cache)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

export async function run(cl: CommandLine): Promise<void> {
  const int = { integer: true, min: 1 };
  const a = {
    only: cl.oneOf('only', ['spam', 'lid'] as const), spamTrain: cl.number('spam-train', int) ?? 1000, spamTest: cl.number('spam-test', int) ?? 400,
    seeds: cl.number('seeds', int) ?? 3, epochs: cl.number('epochs', int) ?? 30, spamStudent: cl.string('spam-student') ?? 'mlp:64',
    lidStudent: cl.string('lid-student') ?? 'mlp:128', lidEpochs: cl.number('lid-epochs', int) ?? 30, lidPerLanguage: cl.number('lid-per-language', int),
    paragraphsOnly: cl.flag('lid-paragraphs-only'), cacheDir: cl.string('cache') ?? 'data/teacher-cache', json: cl.flag('json'),
  };
  cl.done();
  const featurizer = DEFAULT_TEXT_FEATURIZER;
  const out: Record<string, unknown> = {};
  if (a.only !== 'lid') {
    out['spam'] = await spamBench({ train: a.spamTrain, test: a.spamTest, seeds: a.seeds, epochs: a.epochs, student: a.spamStudent, cacheDir: a.cacheDir, featurizer });
  }
  if (a.only !== 'spam') {
    out['lid'] = await lidBench({ student: a.lidStudent, epochs: a.lidEpochs, cacheDir: a.cacheDir, featurizer, perLanguage: a.lidPerLanguage, trainSentences: !a.paragraphsOnly });
  }
  if (a.json) process.stdout.write(`${JSON.stringify(out)}\n`);
}
