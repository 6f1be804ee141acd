/*
 * The repository stands on its own: no tracked file points a reader at notes kept
 * outside it (the background the code relies on is in docs/).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../emulator/runner.ts';

// Spelled in pieces so that this file does not match itself.
const OUTSIDE = [['shared', 'docs'].join('/'), ['..', 'shared'].join('/')];

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((file) => file && file !== 'package-lock.json')
  // A file deleted in the work tree but not yet in the index (e.g. a renamed bundle chunk) is not there to read.
  .filter((file) => existsSync(join(REPO_ROOT, file)));

describe('self-contained repository', () => {
  it('lists the tracked files', () => {
    expect(tracked).toEqual(expect.arrayContaining(['README.md', 'docs/runner-contract.md', 'docs/ceph-rgw.md']));
  });

  it('has no tracked file that refers to notes outside the repository', () => {
    const offending = tracked.filter((file) => {
      const text = readFileSync(join(REPO_ROOT, file), 'latin1');
      return OUTSIDE.some((needle) => text.includes(needle));
    });
    expect(offending).toEqual([]);
  });
});
