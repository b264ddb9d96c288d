// @ts-check
/**
 * The linter: ESLint's and typescript-eslint's recommended rules over every
 * TypeScript and JavaScript file. `npm test` runs it (`npm run lint`) before
 * the type check and the tests; formatting is prettier's job, not a rule here.
 */
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.mesh-data/', 'bench/results/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a parameter or binding kept for its position or its type.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A `let` assigned once, after closures that read it were made (a part started later), stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Plain CommonJS files: jest's config and the Pulumi loader shim.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Plain ES modules run by Node: the linter's own config, the client package's Node consumer (test/fixtures).
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // The operator console runs in browsers; its build script (build.ts) runs in Node.
    files: ['console/**/*.ts'],
    ignores: ['console/build.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['console/build.ts'],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests load a module afresh with require() inside jest.isolateModules, after mocking what it imports.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
