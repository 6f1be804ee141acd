/*
 * The credential_process line as the tools read it back from the config file. The
 * SDKs' config parsers (JavaScript's, Rust's) end a line at white space followed by
 * "#" or ";", quotes or not, so a path such as "/opt/runner #2" would cut the command
 * short; the AWS CLI's parser does not. Every tool must run the same arguments.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromProcess } from '@aws-sdk/credential-providers';
import { configBlock } from '../../src/aws-profile-files.ts';
import { credentialProcessLine } from '../../src/credential-process.ts';

const PATHS = [
  '/opt/actions-runner #2/_work/_temp/params.json',
  "/srv/o'neil ;x/dist/refresh/index.js",
  '/tmp/a\u00a0#b ; #c/d',
  'deploy'
];
const MARKER = { nonce: 'oidc-aws-credentials-0123456789abcdef' };

const folder = mkdtempSync(join(tmpdir(), 'credential-process-'));
// Prints its arguments as the access key id, so the SDK hands them back to the test.
const printer = join(folder, 'print-argv.js');
writeFileSync(
  printer,
  'process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: JSON.stringify(process.argv.slice(2)), ' +
    "SecretAccessKey: 's', SessionToken: 't' }))\n"
);
const config = join(folder, 'config');
writeFileSync(
  config,
  configBlock(
    MARKER,
    {
      profile: 'deploy',
      region: 'us-east-1',
      credentialProcess: credentialProcessLine([process.execPath, printer, ...PATHS], 'linux')
    },
    '\n'
  )
);

const posixOnly = process.platform === 'win32' ? it.skip : it;

describe('a credential_process line with white space before # or ; in a path', () => {
  posixOnly('runs with every argument whole under the JavaScript SDK', async () => {
    const credentials = await fromProcess({
      profile: 'deploy',
      configFilepath: config,
      filepath: join(folder, 'no-credentials'),
      ignoreCache: true
    })();
    expect(JSON.parse(credentials.accessKeyId)).toEqual(PATHS);
  });

  const hasPython = (() => {
    try {
      execFileSync('python3', ['-c', '']);
      return true;
    } catch {
      return false;
    }
  })();
  (hasPython ? it : it.skip)("is split into the same arguments by the AWS CLI's configparser and shlex", () => {
    const printed = execFileSync(
      'python3',
      [
        '-c',
        'import configparser,json,shlex,sys; c = configparser.RawConfigParser(); c.read(sys.argv[1]); ' +
          "print(json.dumps(shlex.split(c.get('profile deploy', 'credential_process'))[2:]))",
        config
      ],
      { encoding: 'utf8' }
    );
    expect(JSON.parse(printed)).toEqual(PATHS);
  });

  it('is refused on Windows, where no quoting keeps it whole for cmd.exe', () => {
    expect(() => credentialProcessLine(['C:\\actions-runner #2\\node.exe'], 'win32')).toThrow(
      /^Cannot write a credential_process line for the path .*white space before # or ;/
    );
  });
});
