/* Source lines stay readable in a review: none over 140 characters (Prettier wraps at 120 but leaves long strings). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../emulator/runner.ts';

const LIMIT = 140;
const sources = execFileSync('git', ['ls-files', '-z', 'src', 'emulator', 'tools', 'bench', '__tests__'], {
  cwd: REPO_ROOT,
  encoding: 'utf8'
})
  .split('\0')
  .filter((file) => file.endsWith('.ts'));

describe('source line length', () => {
  it('finds the sources', () => {
    expect(sources).toEqual(
      expect.arrayContaining([
        'src/main.ts',
        'emulator/runner.ts',
        'bench/bench.ts',
        '__tests__/repo/line-length.test.ts'
      ])
    );
  });

  it(`has no line over ${LIMIT} characters in src/, emulator/, tools/, bench/ or __tests__/`, () => {
    const long = sources.flatMap((file) =>
      readFileSync(join(REPO_ROOT, file), 'utf8')
        .split(/\r?\n/)
        .flatMap((line, index) => (line.length > LIMIT ? [`${file}:${index + 1} (${line.length})`] : []))
    );
    expect(long).toEqual([]);
  });
});
