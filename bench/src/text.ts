/**
 * `npm run bench -- text [--only spam|lid] [--spam-train 1000] [--spam-test 400] [--seeds 3] [--epochs 30]
 *  [--spam-student mlp:64] [--lid-student mlp:128] [--lid-epochs 30] [--lid-paragraphs-only] [--lid-windows 0] [--lid-dropped 0] [--lid-words 0] [--lid-temperature 2]
 *  [--lid-featurizer <json>] [--lid-batch 16] [--cache data/teacher-cache] [--json]`
 * With --json the tables go to stderr and stdout carries exactly one JSON object.
 * Text distillation (docs/text.md): spam with the use-lite teacher and language identification with fastText as
 * the only teacher. Teacher outputs are cached content-addressed under --cache; the first run fills it.
 */
import { featurizerProblem, type FeaturizerSpec } from '@edgefleet/contracts';
import { DEFAULT_TEXT_FEATURIZER, LID_TEXT_FEATURIZER } from '@edgefleet/distill';
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
    'lid-epochs': { type: 'string', arg: '<n>', help: 'language-id student epochs (default 30)' },
    'lid-windows': { type: 'string', arg: '<n>', help: 'random word windows per training paragraph added to the transfer set (default 0)' },
    'lid-dropped': { type: 'string', arg: '<n>', help: 'copies of each training paragraph with one random word left out, added to the transfer set (default 0)' },
    'lid-words': { type: 'string', arg: '<n>', help: 'random words (≥ 3 characters) per training paragraph added to the transfer set, one row each (default 0)' },
    'lid-temperature': { type: 'string', arg: '<T>', help: 'KD temperature of the language-id student (default: the engine\'s)' },
    'lid-featurizer': { type: 'string', arg: '<json>', help: 'fields overriding the language-id featurizer (default LID_TEXT_FEATURIZER)' },
    'lid-batch': { type: 'string', arg: '<n>', help: 'student batch of the whole-set speed pass (default 16)' },
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
    lidWindows: cl.number('lid-windows', { integer: true, min: 0 }), lidDropped: cl.number('lid-dropped', { integer: true, min: 0 }), lidWords: cl.number('lid-words', { integer: true, min: 0 }), lidTemperature: cl.number('lid-temperature', { min: 0.1 }), lidBatch: int('lid-batch'),
    lidFeaturizer: cl.string('lid-featurizer'),
  };
  let lidFeaturizer: FeaturizerSpec = LID_TEXT_FEATURIZER;
  if (o.lidFeaturizer !== undefined) {
    let extra: unknown;
    try { extra = JSON.parse(o.lidFeaturizer); } catch { extra = undefined; }
    cl.check(typeof extra === 'object' && extra !== null, '--lid-featurizer must be a JSON object');
    const problem = featurizerProblem({ ...LID_TEXT_FEATURIZER, ...(extra as object) });
    cl.check(problem === undefined, `--lid-featurizer: ${problem}`);
    lidFeaturizer = { ...LID_TEXT_FEATURIZER, ...(extra as object) } as FeaturizerSpec;
  }
  cl.done();
  const cacheDir = o.cache ?? 'data/teacher-cache';
  const out: Record<string, unknown> = {};
  const featurizer: FeaturizerSpec = DEFAULT_TEXT_FEATURIZER;
  // With --json, stdout is the one JSON object; the tables go to stderr.
  const print = (s: string) => { (o.json ? process.stderr : process.stdout).write(s); };
  if (only !== 'lid') {
    out['spam'] = await spamBench({
      train: o.spamTrain ?? 1000, test: o.spamTest ?? 400, seeds: o.seeds ?? 3, epochs: o.epochs ?? 30,
      student: o.spamStudent ?? 'mlp:64', cacheDir, featurizer, print,
    });
  }
  if (only !== 'spam') {
    out['lid'] = await lidBench({
      student: o.lidStudent ?? 'mlp:128', epochs: o.lidEpochs ?? 30, cacheDir, featurizer: lidFeaturizer, print,
      trainSentences: !o.paragraphsOnly, perLanguage: o.lidPerLanguage, trainWindows: o.lidWindows ?? 0, trainDropped: o.lidDropped ?? 0, trainWords: o.lidWords ?? 0, temperature: o.lidTemperature, batch: o.lidBatch ?? 16,
    });
  }
  if (o.json) process.stdout.write(`${JSON.stringify(out)}\n`);
}
