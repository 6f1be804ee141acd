import { ActionError } from '../../src/errors.ts';
import { runContextFrom } from '../../src/run-context.ts';
import { defaultSessionTags, parseExternalId, parseTransitiveTagKeys, tagValue } from '../../src/session-tags.ts';

describe('session tags', () => {
  it('tags AssumeRole with the run, as configure-aws-credentials does', () => {
    const run = runContextFrom({
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_WORKFLOW: 'CI / Deploy (prod)',
      GITHUB_ACTION: '__aws_step',
      GITHUB_ACTOR: 'dependabot[bot]',
      GITHUB_SHA: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      GITHUB_REF: 'refs/heads/feature/ü-thing'
    });
    expect(defaultSessionTags(run)).toEqual([
      { key: 'GitHub', value: 'Actions' },
      { key: 'Repository', value: 'octo-org/octo-repo' },
      { key: 'Workflow', value: 'CI / Deploy _prod_' },
      { key: 'Action', value: '__aws_step' },
      { key: 'Actor', value: 'dependabot_bot_' },
      { key: 'Commit', value: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' },
      { key: 'Branch', value: 'refs/heads/feature/ü-thing' }
    ]);
  });

  it('keeps values to what STS accepts: its characters, at most 256 of them', () => {
    expect(tagValue('a"b<c>d\\e`f$g')).toBe('a_b_c_d_e_f_g');
    expect(tagValue('x'.repeat(300))).toHaveLength(256);
    expect(tagValue('🚀'.repeat(300))).toBe('_'.repeat(256));
  });

  it('leaves out tags the runner did not set', () => {
    expect(defaultSessionTags(runContextFrom({ GITHUB_REPOSITORY: 'o/r' }))).toEqual([
      { key: 'GitHub', value: 'Actions' },
      { key: 'Repository', value: 'o/r' }
    ]);
  });

  it('reads transitive-tag-keys one a line, and only keys this action sets', () => {
    expect(parseTransitiveTagKeys('Repository\nActor\n', false)).toEqual(['Repository', 'Actor']);
    expect(() => parseTransitiveTagKeys('Team', false)).toThrow(
      new ActionError(
        'Input transitive-tag-keys has "Team", which is not a session tag this action sets: use some of GitHub, ' +
          'Repository, Workflow, Action, Actor, Commit, Branch'
      )
    );
    expect(() => parseTransitiveTagKeys('Repository', true)).toThrow(/role-skip-session-tagging is true/);
  });

  it('checks role-external-id locally', () => {
    expect(parseExternalId('')).toBeUndefined();
    expect(parseExternalId('tenant-7:prod')).toBe('tenant-7:prod');
    expect(() => parseExternalId('has space')).toThrow(/Input role-external-id is not an external id STS accepts/);
  });
});
