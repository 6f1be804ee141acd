import { execFileSync } from 'node:child_process';
import { credentialProcessLine } from '../../src/credential-process.ts';

/** Paths as a runner may have them: spaces, quotes, shell syntax. */
const POSIX_PATHS = [
  '/home/runner/actions runner/externals/node24/bin/node',
  "/opt/o'brien/dist/refresh/index.js",
  '/tmp/$HOME `id` "x" \\n & ; | * ?/params.json',
  'deploy'
];
const WINDOWS_PATHS = [
  'C:\\Program Files\\actions runner\\externals\\node24\\bin\\node.exe',
  'D:\\a\\_actions\\owner\\oidc aws (v1)\\dist\\refresh\\index.js',
  'D:\\a\\_temp\\oidc-aws-credentials-refresh-Ab3dEf\\params.json',
  'deploy'
];

const has = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
};

/** The Microsoft C runtime's rules (what botocore and every Windows program use), for arguments without quotes inside. */
function windowsSplit(line: string): string[] {
  const args: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|(\S+)/g)) args.push(match[1] ?? match[2]!);
  return args;
}

describe.each(['linux', 'darwin'] as const)('credentialProcessLine on %s', (platform) => {
  const line = credentialProcessLine(POSIX_PATHS, platform);

  (process.platform === 'win32' ? it.skip : it)('is split back into the same arguments by /bin/sh (the SDKs)', () => {
    const program = [process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))'];
    const printed = execFileSync('sh', ['-c', `${credentialProcessLine(program, platform)} ${line}`], {
      encoding: 'utf8'
    });
    expect(JSON.parse(printed)).toEqual(POSIX_PATHS);
  });

  (has('python3') ? it : it.skip)('is split back into the same arguments by shlex (the AWS CLI)', () => {
    const printed = execFileSync(
      'python3',
      ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', line],
      {
        encoding: 'utf8'
      }
    );
    expect(JSON.parse(printed)).toEqual(POSIX_PATHS);
  });
});

describe('credentialProcessLine on win32', () => {
  it('double-quotes each argument, which cmd.exe and the C runtime split back the same', () => {
    const line = credentialProcessLine(WINDOWS_PATHS, 'win32');
    expect(line).toBe(WINDOWS_PATHS.map((path) => `"${path}"`).join(' '));
    expect(windowsSplit(line)).toEqual(WINDOWS_PATHS);
  });

  it.each([
    ['a percent sign, which cmd.exe expands even inside quotes', 'C:\\runner %USERNAME%\\node.exe'],
    ['a double quote', 'C:\\a"b\\node.exe'],
    ['a trailing backslash, which would escape the closing quote', 'C:\\temp\\']
  ])('refuses a path with %s', (_, path) => {
    expect(() => credentialProcessLine([path], 'win32')).toThrow(
      /^Cannot write a credential_process line for the path/
    );
  });
});
