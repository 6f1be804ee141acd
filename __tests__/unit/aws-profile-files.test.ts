import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkProfilesWritable,
  configBlock,
  credentialsBlock,
  eolOf,
  markerFor,
  markerLine,
  parseMarker,
  planEdit,
  profileContextFrom,
  profileFilesFrom,
  removeProfiles,
  withoutMarkedBlocks,
  writeProfiles,
  type ProfileContext,
  type ProfileEntry
} from '../../src/aws-profile-files.ts';
import { readSettings } from '../../src/settings.ts';

const entry: ProfileEntry = {
  profile: 'deploy',
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'se/cr+et',
  sessionToken: 'to/ken==',
  region: 'eu-west-2'
};
const marker = markerFor('oidc-aws-credentials-00112233445566ff', { runId: '4242', runAttempt: '1' }, undefined);
const live = () => true;
const append = (text: string, block: string, eol = '\n') =>
  planEdit(text, 'f', [{ header: block.split(/\r?\n/)[1]!, block }], false, live, eol);

describe('profile file editing', () => {
  it.each([
    ['an empty file', ''],
    ['a file ending in a newline', '[personal]\naws_access_key_id = AKIA\n'],
    ['a file without a final newline', '[default]\nregion = us-east-1'],
    ['comments and blank lines', '# mine\n\n[a]\nx = 1\n\n[b]\ny = 2\n'],
    ['CRLF line endings', '[a]\r\nx = 1\r\n\r\n[b]\r\ny = 2\r\n'],
    ['CRLF without a final line break', '[a]\r\nx = 1']
  ])('removing our blocks restores %s byte for byte', (_name, original) => {
    const block = credentialsBlock(marker, entry, '\n');
    const items = [
      { header: '[deploy]', block },
      { header: '[audit]', block: credentialsBlock(marker, { ...entry, profile: 'audit' }, '\n') }
    ];
    const edit = planEdit(original, 'f', items, false, live, '\n');
    const eol = original.includes('\r\n') ? '\r\n' : '\n';
    expect(edit.text).toContain(
      [
        '[deploy]',
        'aws_access_key_id = ASIAEXAMPLE',
        'aws_secret_access_key = se/cr+et',
        'aws_session_token = to/ken==',
        ''
      ].join(eol)
    );
    // Our lines take the file's line ending: no bare LF in a CRLF file.
    if (eol === '\r\n') expect(edit.text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(withoutMarkedBlocks(edit.text, marker.nonce, edit.addedNewline)).toBe(original);
  });

  it.each([
    ['linux', '\n'],
    ['darwin', '\n'],
    ['win32', '\r\n']
  ] as const)('new files on %s get its line ending; existing files keep theirs', (platform, eol) => {
    const context = profileContextFrom({ HOME: '/h', USERPROFILE: 'C:\\h' }, false, () => {}, platform);
    expect(context.newFileEol).toBe(eol);
    expect(eolOf('', context.newFileEol)).toBe(eol);
    expect(eolOf('[a]\r\nx = 1\n', context.newFileEol)).toBe('\r\n');
    expect(eolOf('[a]\nx = 1\r\n', context.newFileEol)).toBe('\n');
    expect(append('', configBlock(marker, entry, '\n'), context.newFileEol).text).toBe(
      [markerLine(marker), '[profile deploy]', 'region = eu-west-2', ''].join(eol)
    );
  });

  it('finds the AWS folder in the home of each platform, with spaces and backslashes intact', () => {
    expect(profileFilesFrom({ USERPROFILE: 'C:\\Users\\Jane Doe' }, 'win32')).toEqual({
      credentials: 'C:\\Users\\Jane Doe\\.aws\\credentials',
      config: 'C:\\Users\\Jane Doe\\.aws\\config'
    });
    expect(profileFilesFrom({ HOME: '/Users/jane doe', TMPDIR: '/var/folders/x/T/' }, 'darwin').credentials).toBe(
      '/Users/jane doe/.aws/credentials'
    );
    expect(profileFilesFrom({ HOME: '/home/runner' }, 'linux').config).toBe('/home/runner/.aws/config');
    expect(profileFilesFrom({}, 'linux', () => '/root').credentials).toBe('/root/.aws/credentials');
    expect(profileFilesFrom({ HOME: '/h', AWS_CONFIG_FILE: 'D:\\a b\\cfg' }, 'win32', () => 'C:\\u').config).toBe(
      'D:\\a b\\cfg'
    );
  });

  it('leaves blocks with another marker, and sections a user added after ours', () => {
    const ours = append('[a]\nx = 1\n', credentialsBlock(marker, entry, '\n')).text;
    const theirs = `${ours}[later]\nz = 3\n`;
    expect(withoutMarkedBlocks(theirs, marker.nonce, false)).toBe('[a]\nx = 1\n[later]\nz = 3\n');
    expect(withoutMarkedBlocks(theirs, 'oidc-aws-credentials-ffffffffffffffff', false)).toBe(theirs);
  });

  it('names config sections "profile NAME", except default', () => {
    expect(configBlock(marker, entry, '\n')).toMatch(/\n\[profile deploy\]\nregion = eu-west-2\n$/);
    expect(configBlock(marker, { ...entry, profile: 'default' }, '\n')).toMatch(/\n\[default\]\nregion = eu-west-2\n$/);
  });

  it('replaces a section in place with overwrite, and post puts the original back byte for byte', () => {
    const text = '[a]\r\nx = 1\r\n[deploy]\r\nold = 1\r\n# theirs\r\n[b]\r\ny = 2';
    const block = credentialsBlock(marker, entry, '\n');
    const edit = planEdit(text, 'f', [{ header: '[deploy]', block }], true, live, '\n');
    expect(edit.replaced).toEqual([{ header: '[deploy]', original: '[deploy]\r\nold = 1\r\n# theirs\r\n' }]);
    expect(edit.text).toBe(`[a]\r\nx = 1\r\n${block.replace(/\n/g, '\r\n')}[b]\r\ny = 2`);
    const restores = new Map([['[deploy]', edit.replaced[0]!.original]]);
    expect(withoutMarkedBlocks(edit.text, marker.nonce, edit.addedNewline, restores)).toBe(text);
  });

  it('reads back the markers it writes, and never one with a control character', () => {
    const withLease = markerFor(marker.nonce, { runId: '4242', runAttempt: '2' }, 'D:\\a _temp\\x.lease');
    expect(parseMarker(markerLine(withLease))).toEqual(withLease);
    expect(parseMarker(`${markerLine(withLease)}\r`)).toEqual(withLease);
    expect(markerFor(marker.nonce, { runId: '1\n[x]', runAttempt: '1' }, '/t/a\nb')).toEqual({ nonce: marker.nonce });
  });
});

describe('profile files on disk', () => {
  let root: string;
  let context: ProfileContext;
  const warnings: string[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'profiles-'));
    mkdirSync(join(root, 'temp'));
    warnings.length = 0;
    context = {
      files: { credentials: join(root, 'aws dir', 'credentials'), config: join(root, 'aws dir', 'config') },
      overwrite: false,
      runnerTemp: join(root, 'temp'),
      run: { runId: '4242', runAttempt: '1' },
      newFileEol: '\n',
      warn: (line) => warnings.push(line)
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const read = (path: string) => readFileSync(path, 'utf8');

  // Red before this change: the token was written verbatim and its [default] section survived post.
  it.each([
    ['sessionToken', 'FwoG\n\n[default]\ncredential_process = sh -c "touch /tmp/pwned"'],
    ['secretAccessKey', 'abc\r[default]'],
    ['accessKeyId', 'ASIA\u0000'],
    ['region', 'eu-west-2\n[profile x]'],
    ['profile', 'deploy]\n[default']
  ] as const)(
    'refuses a %s with a control character, naming the field but not the value; nothing written',
    (field, value) => {
      const states: unknown[] = [];
      expect(() => writeProfiles(context, [{ ...entry, [field]: value }], (cleanup) => states.push(cleanup))).toThrow(
        new RegExp(
          '^Refusing to write (profile "deploy"|a profile): the [A-Za-z ]+ contains a control ' +
            'character \\(such as a line break\\), which could add sections to the AWS files; nothing ' +
            'was written$'
        )
      );
      expect(existsSync(context.files.credentials)).toBe(false);
      expect(existsSync(context.files.config)).toBe(false);
      expect(states).toEqual([]);
    }
  );

  it('saves the cleanup state after the config and before the secret is on disk', () => {
    let seen: { credentials: boolean; config: string } | undefined;
    writeProfiles(context, [entry], () => {
      seen = { credentials: existsSync(context.files.credentials), config: read(context.files.config) };
    });
    expect(seen).toEqual({ credentials: false, config: expect.stringContaining('[profile deploy]') });
    expect(statSync(context.files.credentials).mode & 0o777).toBe(0o600);
  });

  it.each(['credentials', 'config'] as const)(
    'checks the %s file before any request (a directory in its place)',
    (which) => {
      mkdirSync(context.files[which], { recursive: true });
      const message =
        `Cannot write AWS profiles to ${context.files[which]} (EISDIR): make it a writable regular file in a ` +
        `writable folder, or point ` +
        `${which === 'credentials' ? 'AWS_SHARED_CREDENTIALS_FILE' : 'AWS_CONFIG_FILE'} elsewhere; nothing was ` +
        `written`;
      expect(() => checkProfilesWritable(context, ['deploy'])).toThrow(message);
      expect(() => writeProfiles(context, [entry], () => {})).toThrow(message);
      const other = which === 'credentials' ? 'config' : 'credentials';
      expect(existsSync(context.files[other])).toBe(false);
      expect(readdirSync(join(root, 'temp'))).toEqual([]);
    }
  );

  it('rolls back the config when the credentials cannot be written after the check', () => {
    mkdirSync(join(root, 'aws dir'));
    writeFileSync(context.files.config, '[default]\nregion = us-east-1\n');
    const states: unknown[] = [];
    expect(() =>
      writeProfiles(context, [entry], (cleanup) => {
        states.push(cleanup);
        mkdirSync(context.files.credentials); // appears between the check and the write
      })
    ).toThrow(/^Cannot write AWS profiles to .*credentials \(EISDIR\)/);
    expect(states).toHaveLength(1);
    expect(read(context.files.config)).toBe('[default]\nregion = us-east-1\n');
    expect(readdirSync(join(root, 'aws dir')).sort()).toEqual(['config', 'credentials']);
    expect(readdirSync(join(root, 'temp'))).toEqual([]);
  });

  // Red before this change: only the credentials file was checked for the profile.
  it('refuses a profile that already exists in the config file only', () => {
    mkdirSync(join(root, 'aws dir'));
    writeFileSync(context.files.config, '[profile deploy]\nregion = us-east-1\n');
    expect(() => checkProfilesWritable(context, ['deploy'])).toThrow(
      `Profile "deploy" already exists in ${context.files.config}: choose another profile name, or set ` +
        `overwrite-aws-profile: true to replace it`
    );
  });

  // Red before this change: the check and the write were separate calls on the path.
  it('replaces a symbolic link swapped in after the check instead of writing through it', () => {
    mkdirSync(join(root, 'aws dir'));
    const target = join(root, 'target');
    writeFileSync(target, 'not yours\n');
    chmodSync(target, 0o644);
    writeProfiles(context, [entry], () => symlinkSync(target, context.files.credentials));
    expect(read(target)).toBe('not yours\n');
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(read(context.files.credentials)).toContain('aws_secret_access_key = se/cr+et');
    expect(statSync(context.files.credentials).mode & 0o777).toBe(0o600);
  });

  (process.platform === 'win32' ? it.skip : it)(
    'post reports a FIFO put in place of a file instead of waiting on it for ever',
    () => {
      const cleanup = writeProfiles(context, [entry], () => {});
      rmSync(context.files.credentials);
      execFileSync('mkfifo', [context.files.credentials]);
      const { problems } = removeProfiles(cleanup);
      expect(problems).toEqual([`Could not remove the AWS profiles from ${context.files.credentials}: EISDIR`]);
      expect(existsSync(context.files.config)).toBe(false);
    }
  );

  it('post keeps going when one file fails, and reports it', () => {
    const cleanup = writeProfiles(context, [entry], () => {});
    rmSync(context.files.config);
    mkdirSync(context.files.config);
    const { changed, problems } = removeProfiles(cleanup);
    expect(changed).toEqual([context.files.credentials]);
    expect(problems).toEqual([`Could not remove the AWS profiles from ${context.files.config}: EISDIR`]);
    expect(existsSync(context.files.credentials)).toBe(false);
  });

  // Red before this change: the user's [personal] section was deleted for good.
  it('overwrite keeps the replaced sections in RUNNER_TEMP (0600) and post puts them back', () => {
    mkdirSync(join(root, 'aws dir'));
    const original = '[personal]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n[other]\nx = 1\n';
    writeFileSync(context.files.credentials, original);
    const cleanup = writeProfiles({ ...context, overwrite: true }, [{ ...entry, profile: 'personal' }], () => {});
    const text = read(context.files.credentials);
    expect(text).not.toContain('AKIAMINE');
    expect(text).toMatch(
      /^# oidc-aws-credentials-[0-9a-f]{16}: .*\n\[personal\]\naws_access_key_id = ASIAEXAMPLE\n.*\n.*\n\[other\]\nx = 1\n$/
    );
    const backup = cleanup.files[0]!.replaced![0]!.backup;
    expect(backup.startsWith(join(root, 'temp'))).toBe(true);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(cleanup)).not.toContain('mine');
    removeProfiles(cleanup);
    expect(read(context.files.credentials)).toBe(original);
    expect(existsSync(backup)).toBe(false);
  });

  describe('a credential_process profile (refresh-credentials)', () => {
    const processEntry: ProfileEntry = {
      profile: 'deploy',
      region: 'eu-west-2',
      credentialProcess: `'/opt/node 24/bin/node' '/a/dist/refresh/index.js' '/t/params.json' 'deploy'`
    };

    it('goes to the config file only; post takes it out and leaves no file it created', () => {
      const cleanup = writeProfiles(context, [processEntry], () => {});
      expect(read(context.files.config)).toMatch(
        new RegExp(
          '^# oidc-aws-credentials-[0-9a-f]{16}: .*\\n\\[profile deploy\\]\\nregion = eu-west-2\\n' +
            "credential_process = '/opt/node 24/bin/node' '/a/dist/refresh/index.js' '/t/params.json' 'deploy'\\n$"
        )
      );
      expect(existsSync(context.files.credentials)).toBe(false);
      removeProfiles(cleanup);
      expect(readdirSync(join(root, 'aws dir'))).toEqual([]);
    });

    // Keys in the credentials file would win over the config file's credential_process.
    it('replaces a same-named section with keys in the credentials file (overwrite) by a bare header, put back in post', () => {
      mkdirSync(join(root, 'aws dir'));
      const original = '[deploy]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n';
      writeFileSync(context.files.credentials, original);
      expect(() => writeProfiles(context, [processEntry], () => {})).toThrow(/already exists/);
      const cleanup = writeProfiles({ ...context, overwrite: true }, [processEntry], () => {});
      expect(read(context.files.credentials)).toMatch(/^# oidc-aws-credentials-[0-9a-f]{16}: .*\n\[deploy\]\n$/);
      removeProfiles(cleanup);
      expect(read(context.files.credentials)).toBe(original);
    });

    it('refuses a command line with a line break', () => {
      expect(() =>
        writeProfiles(context, [{ ...processEntry, credentialProcess: "'a'\n[default]" }], () => {})
      ).toThrow(/the credential_process command \(a path\) contains a control character/);
    });
  });
});

describe('sections left by jobs that never ran post', () => {
  let root: string;
  const warnings: string[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'orphans-'));
    warnings.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const contextFor = (runId: string, temp: string): ProfileContext => {
    mkdirSync(temp, { recursive: true });
    return {
      files: { credentials: join(root, 'aws', 'credentials'), config: join(root, 'aws', 'config') },
      overwrite: false,
      runnerTemp: temp,
      run: { runId, runAttempt: '1' },
      newFileEol: '\n',
      warn: (line) => warnings.push(line)
    };
  };

  it("replace a killed job's section with a warning naming its run", () => {
    const killedTemp = join(root, 'runner', '_temp');
    writeProfiles(contextFor('1001', killedTemp), [entry], () => {});
    // The job is killed: no post. The runner empties its temp folder for the next job.
    rmSync(killedTemp, { recursive: true });
    const next = contextFor('1002', killedTemp);
    checkProfilesWritable(next, ['deploy']);
    const cleanup = writeProfiles(next, [{ ...entry, accessKeyId: 'ASIANEXT' }], () => {});
    const text = readFileSync(next.files.credentials, 'utf8');
    expect(text).not.toContain('ASIAEXAMPLE');
    expect(text.match(/\[deploy\]/g)).toHaveLength(1);
    const lease = join(killedTemp, 'oidc-aws-credentials-').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Replaced AWS profile sections left by run 1001 attempt 1, whose job ended without its post step ` +
            `\\(its lease ${lease}[0-9a-f]{16}\\.lease is gone\\)$`
        )
      )
    ]);
    removeProfiles(cleanup);
    // The file was the killed job's: post leaves it empty, not deleted.
    expect(readFileSync(next.files.credentials, 'utf8')).toBe('');
  });

  it('leave the section of a job still running on another runner alone', () => {
    const running = contextFor('1001', join(root, 'runner-a', '_temp'));
    writeProfiles(running, [entry], () => {});
    const before = readFileSync(running.files.credentials, 'utf8');
    const other = contextFor('1002', join(root, 'runner-b', '_temp'));
    expect(() => checkProfilesWritable(other, ['deploy'])).toThrow(
      `Profile "deploy" in ${other.files.credentials} belongs to run 1001 attempt 1, whose job is still running ` +
        `on this machine: choose another profile name`
    );
    expect(() => writeProfiles({ ...other, overwrite: true }, [entry], () => {})).toThrow(/still running/);
    expect(readFileSync(running.files.credentials, 'utf8')).toBe(before);
    expect(warnings).toEqual([]);
  });
});

describe('settings for profiles and credential sources', () => {
  const read = (inputs: Record<string, string>) =>
    readSettings((name) => ({ 'aws-region': 'eu-west-2', ...inputs })[name] ?? '');

  it('reads role-profiles, skipping comments and blank lines', () => {
    const settings = read({
      'role-profiles':
        'deploy = arn:aws:iam::111111111111:role/deploy  # the deployer\n\n# note\naudit=arn:aws:iam::222222222222:role/audit'
    });
    expect(settings.identity.targets.map((target) => [target.profile, target.role.arn])).toEqual([
      ['deploy', 'arn:aws:iam::111111111111:role/deploy'],
      ['audit', 'arn:aws:iam::222222222222:role/audit']
    ]);
    expect(settings.outputs.envCredentials).toBe(false);
  });

  it('turns environment export off with aws-profile unless asked', () => {
    const role = 'arn:aws:iam::111111111111:role/deploy';
    expect(read({ 'role-to-assume': role, 'aws-profile': 'x' }).outputs.envCredentials).toBe(false);
    expect(
      read({ 'role-to-assume': role, 'aws-profile': 'x', 'output-env-credentials': 'true' }).outputs.envCredentials
    ).toBe(true);
    expect(read({ 'role-to-assume': role }).outputs.envCredentials).toBe(true);
  });

  it('names the profile whose role ARN is wrong', () => {
    expect(() => read({ 'role-profiles': 'deploy = deploy-role' })).toThrow(
      'Input role-profiles, profile "deploy": role "deploy-role" is not a role ARN'
    );
  });

  it('picks the credential source', () => {
    const role = 'arn:aws:iam::111111111111:role/deploy';
    expect(read({ 'role-to-assume': role }).identity.source).toBe('github-oidc');
    expect(read({ 'role-to-assume': role, 'web-identity-token-file': 't.jwt' }).identity.source).toBe('token-file');
    expect(read({ 'role-to-assume': role, 'role-chaining': 'true' }).identity.source).toBe('role-chaining');
    expect(() => read({ 'role-to-assume': role, 'role-chaining': 'true', 'web-identity-token-file': 't' })).toThrow(
      'Inputs role-chaining and web-identity-token-file exclude each other'
    );
  });

  it('does not echo a proxy URL it rejects (it may hold a password)', () => {
    expect(() =>
      read({ 'role-to-assume': 'arn:aws:iam::111111111111:role/x', 'http-proxy': 'socks5://u:pw@h:1' })
    ).toThrow('Input http-proxy is not an http(s) URL: give one such as http://proxy.example.com:3128');
  });
});
