import {
  appendBlock,
  configBlock,
  credentialsBlock,
  hasSection,
  withoutMarkedBlocks,
  withoutSection
} from '../../src/aws-profile-files.ts';
import { readSettings } from '../../src/settings.ts';

const entry = {
  profile: 'deploy',
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'se/cr+et',
  sessionToken: 'to/ken==',
  region: 'eu-west-2'
};

describe('profile file editing', () => {
  it.each([
    ['an empty file', ''],
    ['a file ending in a newline', '[personal]\naws_access_key_id = AKIA\n'],
    ['a file without a final newline', '[default]\nregion = us-east-1'],
    ['comments and blank lines', '# mine\n\n[a]\nx = 1\n\n[b]\ny = 2\n']
  ])('removing our blocks restores %s byte for byte', (_name, original) => {
    const block = credentialsBlock('m-1', entry) + credentialsBlock('m-1', { ...entry, profile: 'audit' });
    const { text, addedNewline } = appendBlock(original, block);
    expect(text).toContain(
      '[deploy]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = se/cr+et\naws_session_token = to/ken==\n'
    );
    expect(withoutMarkedBlocks(text, 'm-1', addedNewline)).toBe(original);
  });

  it('leaves blocks with another marker, and sections a user added after ours', () => {
    const ours = appendBlock('[a]\nx = 1\n', credentialsBlock('m-1', entry)).text;
    const theirs = `${ours}[later]\nz = 3\n`;
    expect(withoutMarkedBlocks(theirs, 'm-1', false)).toBe('[a]\nx = 1\n[later]\nz = 3\n');
    expect(withoutMarkedBlocks(theirs, 'm-2', false)).toBe(theirs);
  });

  it('names config sections "profile NAME", except default', () => {
    expect(configBlock('m', entry)).toMatch(/\n\[profile deploy\]\nregion = eu-west-2\n$/);
    expect(configBlock('m', { ...entry, profile: 'default' })).toMatch(/\n\[default\]\nregion = eu-west-2\n$/);
  });

  it('finds and removes a whole section for overwrite-aws-profile', () => {
    const text = '[a]\nx = 1\n[deploy]\nold = 1\nold2 = 2\n[b]\ny = 2\n';
    expect(hasSection(text, '[deploy]')).toBe(true);
    expect(withoutSection(text, '[deploy]')).toBe('[a]\nx = 1\n[b]\ny = 2\n');
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
