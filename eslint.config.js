// Lint: typescript-eslint's recommended rules plus an import-cycle check, because imports must point
// one way (bin → server → shim → graphql → runtime → db → lib; see ../shared/STYLE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

export default tseslint.config(
  { ignores: ['node_modules/**', 'migrations/**', 'dist/**', '.jobgate/**', 'scratch/**', '.ci/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Only our own files take part in cycles; never parse dependencies.
      'import/ignore': ['node_modules'],
      'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs'] } },
    },
    rules: {
      'import/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/bin/**', 'clients/**', 'bench/**', 'scripts/**', 'test/**', '*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests and scripts walk untyped GraphQL and REST responses.
    files: ['test/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['bin/**/*.mjs', 'scripts/**/*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
