import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.bench/', 'build/', '*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Non-null assertions are used where a preceding check or a regex match guarantees the value.
      '@typescript-eslint/no-non-null-assertion': 'off'
    }
  }
);
