// ESLint for the whole workspace (flat config): the JavaScript and typescript-eslint recommended
// rules without type information (a type-checked run would re-do tsc's work), plus the few rules
// prettier cannot enforce: one statement per line, braces around a body that spans lines, and no line
// over 140 characters (prettier wraps code at 120 but leaves comments and long strings as written).
// Formatting itself is prettier's (`npm run format`); import cycles and layering are checked by a test.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/node_modules/', '**/dist/', '**/generated/', 'bench/results*', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: { '@stylistic': stylistic },
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@stylistic/max-statements-per-line': ['error', { max: 1 }],
      '@stylistic/max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }],
      curly: ['error', 'multi-line'],
      eqeqeq: ['error', 'smart'],
      'no-sequences': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  // CommonJS preloads (NODE_OPTIONS=--require) can only require
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
