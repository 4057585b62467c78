// ESLint flat config: typescript-eslint's type-aware rules over the sources, tests and sample.
// Formatting is Prettier's job (`npm run lint` runs `prettier --check` after ESLint).
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'dist-sample/', 'dist-check/', 'coverage/', 'reports/', 'nest11/', '.perf/'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // tsconfig.json covers src, test and sample; the project service finds it per file.
        projectService: { allowDefaultProject: ['*.js', '*.mjs', '.ci/*.js', 'test/support/*.cjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Underscore-prefixed parameters are deliberately unused (Nest and passport callback shapes).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `{}` as a generic's default means "no extra claims" (`CognitoJwtPayload<{ tenant_id: string }>`).
      '@typescript-eslint/no-empty-object-type': ['error', { allowObjectTypes: 'always' }],
    },
  },
  {
    // supertest types a response body as `any` on purpose; tests read it directly, and the clients they
    // drive (socket.io, child processes) are loosely typed.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Benchmark reports and child-process output are read as loose JSON.
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests hand methods around on purpose (the TypeScript compiler host, a controller's handler)
      // and write async factories that show the async form works.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain CommonJS/ESM config files and CI scripts are not in tsconfig: lint them without types.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
