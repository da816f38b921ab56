import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'var/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // codecs/ is a publishable library: it never reaches into the application.
    files: ['codecs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/**', 'node:fs', 'node:net', 'node:http', 'pino'], message: 'codecs/ is pure: no I/O, never imports src/' }] },
      ],
    },
  },
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  // The console's browser scripts (src/console/README.md): plain ES modules run by the browser.
  {
    files: ['src/console/static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'fetch', 'URL', 'URLSearchParams', 'EventSource', 'FormData', 'HTMLElement',
          'HTMLDialogElement', 'Event', 'CustomEvent', 'setTimeout', 'clearTimeout', 'console', 'navigator',
          'location', 'history', 'requestAnimationFrame'].map((name) => [name, 'readonly']),
      ),
    },
  },
);
