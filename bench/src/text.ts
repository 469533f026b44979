/**
 * `npm run bench -- text [--only spam|lid] [--spam-train 1000] [--spam-test 400] [--seeds 3] [--epochs 30]
 *  [--spam-student mlp:64] [--lid-student mlp:128] [--lid-epochs 40] [--lid-paragraphs-only] [--cache data/teacher-cache] [--json]`
 * Text distillation (docs/text.md): spam with the use-lite teacher and language identification with fastText as
 * the only teacher. Teacher outputs are cached content-addressed under --cache; the first run fills it.
 */
import type { FeaturizerSpec } from '@edgefleet/contracts';
import { DEFAULT_TEXT_FEATURIZER } from '@edgefleet/distill';
import type { CommandLine, CommandSpec } from '@edgefleet/toolkit';
import { lidBench } from './text-lid';
import { spamBench } from './text-spam';

export const command: CommandSpec = {
  name: 'bench text',
  invocation: 'npm run bench -- text',
  summary: 'Text distillation: spam with the use-lite teacher, language identification with fastText as the only teacher.',
  options: {
    only: { type: 'string', arg: 'spam|lid', help: 'run one of the two parts' },
    'spam-train': { type: 'string', arg: '<n>', help: 'spam training rows (default 1000)' },
    'spam-test': { type: 'string', arg: '<n>', help: 'spam test rows (default 400)' },
    seeds: { type: 'string', arg: '<n>', help: 'seeds per KD/hard-label arm (default 3)' },
    epochs: { type: 'string', arg: '<n>', help: 'spam student epochs (default 30)' },
    'spam-student': { type: 'string', arg: '<spec>', help: 'spam student (default mlp:64)' },
    'lid-student': { type: 'string', arg: '<spec>', help: 'language-id student (default mlp:128)' },
    'lid-epochs': { type: 'string', arg: '<n>', help: 'language-id student epochs (default 40)' },
    'lid-per-language': { type: 'string', arg: '<n>', help: 'paragraphs per language' },
    'lid-paragraphs-only': { type: 'boolean', help: 'train on whole paragraphs only (no sentence split)' },
    cache: { type: 'string', arg: '<dir>', help: 'teacher-output cache (default data/teacher-cache)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

export async function run(cl: CommandLine): Promise<void> {
  const only = cl.string('only');
  cl.check(only === undefined || only === 'spam' || only === 'lid', '--only must be spam or lid');
  const int = (name: string) => cl.number(name, { integer: true, min: 1 });
  const o = {
    spamTrain: int('spam-train'), spamTest: int('spam-test'), seeds: int('seeds'), epochs: int('epochs'),
    spamStudent: cl.string('spam-student'), lidStudent: cl.string('lid-student'), lidEpochs: int('lid-epochs'),
    lidPerLanguage: int('lid-per-language'), paragraphsOnly: cl.flag('lid-paragraphs-only'), cache: cl.string('cache'), json: cl.flag('json'),
  };
  cl.done();
  const cacheDir = o.cache ?? 'data/teacher-cache';
  const out: Record<string, unknown> = {};
  const featurizer: FeaturizerSpec = DEFAULT_TEXT_FEATURIZER;
  if (only !== 'lid') {
    out['spam'] = await spamBench({
      train: o.spamTrain ?? 1000, test: o.spamTest ?? 400, seeds: o.seeds ?? 3, epochs: o.epochs ?? 30,
      student: o.spamStudent ?? 'mlp:64', cacheDir, featurizer,
    });
  }
  if (only !== 'spam') {
    out['lid'] = await lidBench({
      student: o.lidStudent ?? 'mlp:128', epochs: o.lidEpochs ?? 40, cacheDir, featurizer,
      trainSentences: !o.paragraphsOnly, perLanguage: o.lidPerLanguage,
    });
  }
  if (o.json) process.stdout.write(`${JSON.stringify(out)}\n`);
}
