// ESLint for the whole workspace (flat config): the JavaScript and typescript-eslint recommended
// rules without type information (a type-checked run would re-do tsc's work), plus one statement per
// line. Formatting is prettier's (`npm run format`); import cycles and layering are checked by a test.
import js from '@eslint/js';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/node_modules/', '**/dist/', '**/generated/', 'bench/results*'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      'max-statements-per-line': ['error', { max: 1 }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
