import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFileCommands } from '../../emulator/file-commands.ts';
import { LogRenderer, namedValues } from '../../emulator/log-renderer.ts';
import {
  appendSummary,
  debug,
  escapeData,
  exportVariable,
  getInput,
  info,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  warning
} from '../../src/workflow-commands.ts';

const runnerFiles = (): Record<'GITHUB_ENV' | 'GITHUB_OUTPUT' | 'GITHUB_STATE' | 'GITHUB_STEP_SUMMARY', string> => {
  const dir = mkdtempSync(join(tmpdir(), 'cmd-'));
  const files = {
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary')
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  return files;
};
const HOSTILE = 'line one\r\n::add-mask::x\r::stop-commands::t\n##[error]no %0A 50% : , ; ]';

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

describe("main's runner commands, read back by the runner's rules", () => {
  it('reads inputs as the runner passes them: INPUT_ + upper case, spaces as _, dashes kept, trimmed', () => {
    const env = { 'INPUT_ROLE-TO-ASSUME': '  arn:aws:iam::1:role/x \n', INPUT_SOME_NAME: 'v' };
    expect(getInput('role-to-assume', env)).toBe('arn:aws:iam::1:role/x');
    expect(getInput('some name', env)).toBe('v');
    expect(getInput('aws-region', env)).toBe('');
  });

  it('writes outputs, state and variables to their files so any value comes back exactly', () => {
    // The runner reads these files by lines, so CR is not kept; every other character is.
    const HOSTILE = 'line one\n::add-mask::x\n::stop-commands::t\n##[error]no %0A 50% : , ; ]\n';
    const files = runnerFiles();
    const env: NodeJS.ProcessEnv = { ...files };
    setOutput('aws-account-id', HOSTILE, env);
    setOutput('empty', '', env);
    saveState('cleanup', HOSTILE, env);
    exportVariable('AWS_SESSION_TOKEN', HOSTILE, env);
    expect(parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8'))).toEqual({
      'aws-account-id': HOSTILE,
      empty: ''
    });
    expect(parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8'))).toEqual({ cleanup: HOSTILE });
    expect(parseFileCommands(readFileSync(files.GITHUB_ENV, 'utf8'))).toEqual({ AWS_SESSION_TOKEN: HOSTILE });
  });

  it('falls back to the stdout commands on a runner without the output and state files', () => {
    let out = '';
    const write = (text: string) => void (out += text);
    setOutput('a:b,c', HOSTILE, {}, write);
    saveState('s', 'v\nw', {}, write);
    const renderer = new LogRenderer();
    expect(renderer.render(out)).toEqual([]);
    expect(namedValues(renderer.commands, 'set-output')).toEqual({ 'a:b,c': HOSTILE });
    expect(namedValues(renderer.commands, 'save-state')).toEqual({ s: 'v\nw' });
  });

  it('keeps every message one command: masks, debug, warnings and the error start nothing else', () => {
    let out = '';
    const write = (text: string) => void (out += text);
    const exitCode = process.exitCode;
    try {
      setSecret('s3cr3t\nsecond-line', write);
      info('using s3cr3t', write);
      debug(HOSTILE, write);
      warning(HOSTILE, write);
      setFailed(HOSTILE, write);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = exitCode;
    }
    const renderer = new LogRenderer({ debug: true });
    expect(renderer.render(out)).toEqual([
      'using ***',
      `##[debug]${HOSTILE}`,
      `Warning: ${HOSTILE}`,
      `Error: ${HOSTILE}`
    ]);
    expect(renderer.commands.map(({ name }) => name)).toEqual(['add-mask', 'debug', 'warning', 'error']);
    expect(renderer.masks).toEqual(new Set(['s3cr3t', 'second-line']));
  });

  it('appends the summary as written, and writes nothing without a summary file', async () => {
    const files = runnerFiles();
    await appendSummary('### one\n', files);
    await appendSummary('| a | b |\n', files);
    expect(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')).toBe('### one\n| a | b |\n');
    await expect(appendSummary('x', {})).resolves.toBeUndefined();
  });
});

describe('the emulation parses file commands as the runner does', () => {
  it('reads NAME=VALUE and heredoc forms and fails on a missing delimiter', () => {
    expect(parseFileCommands('A=1\nB<<X\nline1\nline2\nX\nC=x=y\n')).toEqual({ A: '1', B: 'line1\nline2', C: 'x=y' });
    expect(() => parseFileCommands('B<<X\nnever closed\n')).toThrow("Matching delimiter not found 'X'");
  });
});
