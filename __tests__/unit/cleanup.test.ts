import { decodeCleanupState, encodeCleanupState, fingerprint, variablesToClear } from '../../src/cleanup-state.ts';
import { runPost, type PostRunner } from '../../src/run-post.ts';
import { escapeData } from '../../src/workflow-commands.ts';

const ALL = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION'];
const state = { variables: ALL, accessKeyFingerprint: fingerprint('ASIAOURS'), region: 'eu-west-2' };
const envWith = (overrides: Record<string, string>) => ({
  [`STATE_${encodeCleanupState(state)[0]}`]: encodeCleanupState(state)[1],
  AWS_ACCESS_KEY_ID: 'ASIAOURS',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'token',
  AWS_REGION: 'eu-west-2',
  AWS_DEFAULT_REGION: 'eu-west-2',
  ...overrides
});

function post(
  env: NodeJS.ProcessEnv,
  removeProfiles: PostRunner['removeProfiles'] = () => ({ changed: [], problems: [] }),
  removeRefreshFolder: PostRunner['removeRefreshFolder'] = () => undefined
) {
  const exported: Record<string, string> = {};
  const log: string[] = [];
  runPost(env, {
    exportVariable: (name, value) => (exported[name] = value),
    info: (line) => log.push(line),
    warning: (line) => log.push(`::warning::${escapeData(line)}`),
    removeProfiles,
    removeRefreshFolder
  });
  return { exported, log };
}

describe('cleanup state', () => {
  it('holds no secret: names, region and a SHA-256 of the access key id', () => {
    const [, value] = encodeCleanupState(state);
    expect(value).not.toContain('ASIAOURS');
    expect(JSON.parse(value).accessKeyFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(decodeCleanupState({ STATE_cleanup: value })).toEqual(state);
  });

  it('is absent when main saved nothing', () => {
    expect(decodeCleanupState({})).toBeUndefined();
  });
});

describe('post step', () => {
  it('clears every variable main exported while they still hold its values', () => {
    const { exported, log } = post(envWith({}));
    expect(exported).toEqual(Object.fromEntries(ALL.map((name) => [name, ''])));
    expect(log).toEqual([`Cleared ${ALL.join(', ')}.`]);
  });

  it('leaves credentials a later step exported', () => {
    const { exported, log } = post(envWith({ AWS_ACCESS_KEY_ID: 'ASIATHEIRS', AWS_REGION: 'us-east-1' }));
    expect(exported).toEqual({ AWS_DEFAULT_REGION: '' });
    expect(log[1]).toBe(
      'Left AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION as they are: a later step set them to other values.'
    );
  });

  it('does nothing after a main step that exported nothing', () => {
    const { exported, log } = post({ AWS_ACCESS_KEY_ID: 'ASIAOURS' });
    expect(exported).toEqual({});
    expect(log[0]).toMatch(/^Nothing to clean up/);
  });

  it('clears only the variables it was told about', () => {
    const regionOnly = { ...state, variables: ['AWS_REGION', 'AWS_DEFAULT_REGION'] };
    expect(variablesToClear(regionOnly, envWith({}))).toEqual(['AWS_REGION', 'AWS_DEFAULT_REGION']);
  });

  // Red before this change: the exception from the profile removal ended post before the variables.
  it('still clears the variables when removing the profiles fails, and warns on one line', () => {
    const withProfiles = {
      ...state,
      profiles: { marker: 'oidc-aws-credentials-0011223344556677', files: [] }
    };
    const { exported, log } = post({ ...envWith({}), STATE_cleanup: encodeCleanupState(withProfiles)[1] }, () => {
      throw new Error('EACCES: permission denied, open /home/runner/.aws/credentials\n    at openSync');
    });
    expect(exported).toEqual(Object.fromEntries(ALL.map((name) => [name, ''])));
    expect(log).toEqual([
      '::warning::Could not remove the AWS profiles this action wrote: EACCES: permission denied, open /home/runner/.aws/credentials',
      `Cleared ${ALL.join(', ')}.`
    ]);
  });

  it('reports each problem the profile removal met as a one-line warning', () => {
    const withProfiles = { ...state, profiles: { marker: 'oidc-aws-credentials-0011223344556677', files: [] } };
    const { log } = post({ ...envWith({}), STATE_cleanup: encodeCleanupState(withProfiles)[1] }, () => ({
      changed: ['/h/.aws/credentials'],
      problems: ['Could not remove the AWS profiles from /h/50%\n/config: EISDIR']
    }));
    expect(log.slice(0, 2)).toEqual([
      '::warning::Could not remove the AWS profiles from /h/50%25 /config: EISDIR',
      'Removed the AWS profiles this action wrote from /h/.aws/credentials.'
    ]);
  });
});
