/**
 * `npm run bench -- text [--only spam|lid] [--spam-train 1000] [--spam-test 400] [--seeds 3] [--epochs 30]
 *  [--spam-student mlp:64] [--lid-student mlp:128] [--lid-epochs 40] [--lid-paragraphs-only] [--cache data/teacher-cache] [--json]`
 * Text distillation (docs/text.md): spam with the use-lite teacher and language identification with fastText as
 * the only teacher. Teacher outputs are cached content-addressed under --cache; the first run fills it.
 */
import type { FeaturizerSpec } from '@edgefleet/contracts';
import { DEFAULT_TEXT_FEATURIZER } from '@edgefleet/distill';
import { benchArgs } from './bench-args';
import { lidBench } from './text-lid';
import { spamBench } from './text-spam';

export async function run(args: string[]): Promise<void> {
  const a = benchArgs(args, {
    only: 'string', 'spam-train': 'number', 'spam-test': 'number', seeds: 'number', epochs: 'number', 'spam-student': 'string',
    'lid-student': 'string', 'lid-epochs': 'number', 'lid-per-language': 'number', 'lid-paragraphs-only': 'boolean', cache: 'string', json: 'boolean',
  });
  const cacheDir = String(a['cache'] ?? 'data/teacher-cache');
  const out: Record<string, unknown> = {};
  const featurizer: FeaturizerSpec = DEFAULT_TEXT_FEATURIZER;
  if (a['only'] !== 'lid') {
    out['spam'] = await spamBench({
      train: Number(a['spam-train'] ?? 1000), test: Number(a['spam-test'] ?? 400), seeds: Number(a['seeds'] ?? 3), epochs: Number(a['epochs'] ?? 30),
      student: String(a['spam-student'] ?? 'mlp:64'), cacheDir, featurizer,
    });
  }
  if (a['only'] !== 'spam') {
    out['lid'] = await lidBench({
      student: String(a['lid-student'] ?? 'mlp:128'), epochs: Number(a['lid-epochs'] ?? 40), cacheDir, featurizer,
      trainSentences: a['lid-paragraphs-only'] !== true, perLanguage: a['lid-per-language'] === undefined ? undefined : Number(a['lid-per-language']),
    });
  }
  if (a['json']) process.stdout.write(`${JSON.stringify(out)}\n`);
}
