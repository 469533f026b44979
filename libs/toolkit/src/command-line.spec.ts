import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandLine, CommandLineError, CommandSpec, usageText } from './command-line';

const SPEC: CommandSpec = {
  name: 'demo', invocation: 'npm run demo --', summary: 'A test command.',
  options: {
    out: { type: 'string', arg: '<dir>', help: 'where it goes' },
    epochs: { type: 'string', arg: '<n>', help: 'how long' },
    mode: { type: 'string', help: 'which' },
    json: { type: 'boolean', help: 'JSON out' },
  },
};

const read = (argv: string[]) => {
  const cl = CommandLine.parse(SPEC, argv);
  const r = { out: cl.string('out'), epochs: cl.number('epochs', { integer: true, min: 1 }), mode: cl.oneOf('mode', ['a', 'b'] as const), json: cl.flag('json') };
  cl.require('out');
  return { cl, r };
};

test('values in both spellings (--flag value, --flag=value) reach typed getters', () => {
  const { cl, r } = read(['--out', 'x', '--epochs=3', '--mode', 'b', '--json']);
  cl.done();
  assert.deepEqual(r, { out: 'x', epochs: 3, mode: 'b', json: true });
  assert.equal(cl.help, false);
});

test('every problem is listed in one message: unknown flag, missing value, bad number, bad choice, stray argument, required option', () => {
  const { cl } = read(['--epochs', '0', '--frob', '--mode', 'c', 'stray', '--json=1', '--out']);
  assert.throws(() => cl.done(), (err: unknown) => {
    assert.ok(err instanceof CommandLineError);
    assert.deepEqual(err.problems.sort(), [
      '--json takes no value', '--out needs a value', 'bad value for --epochs: 0 (an integer ≥ 1)', 'bad value for --mode: c (one of a, b)',
      'unexpected argument stray', 'unknown option --frob',
    ]);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
});

test('a flag where a value belongs is not taken as the value; a negative number is a value', () => {
  const a = read(['--out', '--json']);
  assert.deepEqual(a.cl.problems, ['--out needs a value']);
  assert.equal(a.r.json, false);
  const b = read(['--out', 'x', '--epochs', '-1']);
  assert.deepEqual(b.cl.problems, ['bad value for --epochs: -1 (an integer ≥ 1)']);
});

test('--help is recognised whatever else is on the line, and the usage lists every option with its placeholder', () => {
  assert.equal(CommandLine.parse(SPEC, ['--frob', '--help']).help, true);
  const u = usageText(SPEC);
  assert.match(u, /^usage: npm run demo -- \[options\]\nA test command\./);
  for (const line of [/--out <dir>\s+where it goes/, /--epochs <n>\s+how long/, /--mode <value>\s+which/, /--json\s+JSON out/, /--help\s+print this text/]) assert.match(u, line);
});

test('reading an option the table does not declare is a programming error, not a user one', () => {
  assert.throws(() => CommandLine.parse(SPEC, []).string('nope'), /--nope is read but not declared/);
});
