// Flat config: the recommended JavaScript and TypeScript rules, and the guards that keep
// the layers of docs/architecture.md true (each has a fixture test in test/unit/lint-guards.test.ts).
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

/** Packages the pure domain must not use: it is read and tested without a server or a database. */
const INFRASTRUCTURE = ['fastify', 'fastify-*', '@fastify/*', 'drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/*', 'pino'];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'migrations/', 'coverage/', '.tap/', 'dist/', 'bench/results/', 'test/browser/screenshots/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
  // Small files and readable lines in the service, its pages and the benchmark (tests and generated files aside).
  {
    files: ['src/**/*.ts', 'src/**/*.js', 'bench/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  // No import circles in the service.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  // Layers, by path: the domain is pure (nothing of ours outside it); the database layer never
  // reaches up into HTTP or the modules; nothing in src imports the benchmark.
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/domain', from: './src', except: ['./domain'], message: 'src/domain imports nothing of ours outside src/domain' },
            { target: './src/db', from: ['./src/http', './src/modules'], message: 'src/db never imports src/http or src/modules' },
            { target: './src', from: './bench', message: 'src/ never imports bench/' },
          ],
        },
      ],
    },
  },
  // The domain is pure: no framework, database or logger.
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: INFRASTRUCTURE, message: 'src/domain is pure: no framework, database or logger (see docs/architecture.md)' }] },
      ],
    },
  },
);
