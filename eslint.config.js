import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The direction of the layers (README "Layout"): each folder names the folders of ours it
 * must not import. `core/` is below everything; `policies/` and `probes/` import only core;
 * the agent SDK only core; the examples only the SDK and core; nothing shipped imports tests,
 * benchmarks or tools. Checked on static imports, re-exports and `import()` with a literal.
 * test/lint/layers.test.ts proves each rule still fires.
 */
const TOOLING = ['test', 'bench', 'tools', 'scripts'];
const LAYERS = {
  core: ['controller', 'policies', 'probes', 'agent', 'examples', ...TOOLING],
  policies: ['controller', 'probes', 'agent', 'examples', ...TOOLING],
  probes: ['controller', 'policies', 'agent', 'examples', ...TOOLING],
  agent: ['controller', 'policies', 'probes', 'examples', ...TOOLING],
  examples: ['controller', 'policies', 'probes', ...TOOLING],
  controller: TOOLING,
};

/** The rules that keep a folder's imports out of `forbidden` folders of ours. */
function layer(folder, forbidden) {
  // A relative specifier that climbs out (one `../` or more) into one of the forbidden folders.
  const source = `^(\\./)?(\\.\\./)+(${forbidden.join('|')})(/|$)`;
  const message = `${folder}/ must not import ${forbidden.join(', ')} (README "Layout"; shared types go in core/)`;
  return {
    files: [`${folder}/**/*.{ts,js,mjs}`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: source, message }] }],
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression > Literal[value=/${source.replaceAll('/', '\\/')}/]`, message },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['controller/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        document: 'readonly',
        window: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        ResizeObserver: 'readonly',
      },
    },
  },
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      'no-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...Object.entries(LAYERS).map(([folder, forbidden]) => layer(folder, forbidden)),
);
