// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules for the sources,
// tests and scripts; formatting is prettier's job (.prettierrc.json).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'models/', 'data/', 'addon/build/', 'test-artifacts/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused parameters named _x document a fixed signature.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Lazy and optional modules (TensorFlow.js, its backends, tfjs-node) are loaded with require() on purpose.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Terminal tests match ANSI escape codes.
    files: ['test/**/*.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    files: ['bin/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', module: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
