// ESLint (flat config): `npm run lint`, no warnings allowed. ESLint's recommended rules everywhere; the React
// hooks rules (rules-of-hooks, exhaustive-deps and the React Compiler's checks) on the page's code. Globals by
// where the code runs: the page and its unit tests in a browser (jsdom; the tests import describe/it/expect from
// vitest, so no test globals), the end-to-end test, the scripts and the configs in Node.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default [
  { ignores: ['dist/'] },
  js.configs.recommended,
  {
    files: ['**/*.{js,jsx,mjs}'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['src/**/*.{js,jsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['e2e/**/*.mjs', 'scripts/**/*.mjs', '*.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The functions e2e.mjs hands to page.waitForFunction and page.evaluate run in the page, not in Node.
    files: ['e2e/e2e.mjs'],
    languageOptions: { globals: { document: 'readonly', getComputedStyle: 'readonly' } },
  },
];
