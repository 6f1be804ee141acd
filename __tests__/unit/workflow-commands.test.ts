import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFileCommands } from '../../emulator/file-commands.ts';
import { escapeData, exportVariable } from '../../src/workflow-commands.ts';

describe("post's GITHUB_ENV writer", () => {
  it('writes values the runner reads back exactly, including empty and multi-line ones', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cmd-')), 'env');
    writeFileSync(file, '');
    const env: NodeJS.ProcessEnv = { GITHUB_ENV: file };
    exportVariable('AWS_ACCESS_KEY_ID', '', env);
    exportVariable('MULTI', 'a=b\nNAME<<EOF\n%0A', env);
    expect(parseFileCommands(readFileSync(file, 'utf8'))).toEqual({
      AWS_ACCESS_KEY_ID: '',
      MULTI: 'a=b\nNAME<<EOF\n%0A'
    });
    expect(env.AWS_ACCESS_KEY_ID).toBe('');
    expect(readFileSync(file, 'utf8')).toMatch(/^AWS_ACCESS_KEY_ID<<ghadelimiter_[0-9a-f-]{36}\n\nghadelimiter_/);
  });

  it('keeps command data on one line', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
  });
});

describe('the emulation parses file commands as the runner does', () => {
  it('reads NAME=VALUE and heredoc forms and fails on a missing delimiter', () => {
    expect(parseFileCommands('A=1\nB<<X\nline1\nline2\nX\nC=x=y\n')).toEqual({ A: '1', B: 'line1\nline2', C: 'x=y' });
    expect(() => parseFileCommands('B<<X\nnever closed\n')).toThrow("Matching delimiter not found 'X'");
  });
});
