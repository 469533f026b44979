// Guardrails in the linter, not in review (docs/conventions.md §14): promises are awaited or handled, switches
// over unions are exhaustive, only the config modules read process.env (§5), and no deployable imports another
// (§2; test/src/package-boundaries.spec.ts checks package.json files too).
import tseslint from 'typescript-eslint';

const APPS = { 'apps/control-plane': '@edgefleet/control-plane', 'apps/distiller': '@edgefleet/distiller', 'device-agent': '@edgefleet/device-agent' };
/** `dir`'s sources may not import these deployables (their root or a deep path). */
const noImportOf = (dir, names) => ({
  files: [`${dir}/src/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [{ group: names.flatMap((n) => [n, `${n}/*`]), message: 'A deployable shares code through libs/, never by importing another deployable (docs/conventions.md §2).' }],
    }],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'libs/db/src/generated/**', '**/*.mjs', '**/*.js', 'prisma.config.ts'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // node:test's test()/describe() return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration once in a config module and pass it down.' }],
    },
  },
  {
    // The places allowed to read the environment: config loaders, CLIs' entry points, and test set-up.
    files: [
      '**/config/**', '**/process-env.ts', '**/env.ts', '**/*.spec.ts', '**/testing/**', 'test/src/**', 'bench/src/**',
      '**/cli/**', '**/main.ts', '**/demo/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  ...Object.keys(APPS).map((dir) => noImportOf(dir, Object.entries(APPS).filter(([d]) => d !== dir).map(([, n]) => n))),
  noImportOf('libs/*', Object.values(APPS)),
);
