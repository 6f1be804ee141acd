import { ActionError } from '../../src/errors.ts';
import type { RunContext } from '../../src/run-context.ts';
import { DEFAULT_SESSION_NAME_TEMPLATE, parseSessionNameTemplate, renderSessionName } from '../../src/session-name.ts';

const run: RunContext = {
  runId: '9876543210',
  runAttempt: '2',
  runNumber: '55',
  job: 'deploy',
  repository: 'octo-org/octo-repo',
  owner: 'octo-org',
  repo: 'octo-repo',
  workflow: 'CI / Deploy',
  actor: 'dependabot[bot]',
  refName: 'feature/new thing',
  sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  eventName: 'pull_request',
  action: '__run_2',
  ref: 'refs/pull/7/merge'
};

const render = (template: string, context: RunContext = run): string =>
  renderSessionName(parseSessionNameTemplate(template), context);

describe('role-session-name template', () => {
  it('defaults to one name per run attempt', () => {
    expect(render(DEFAULT_SESSION_NAME_TEMPLATE)).toBe('gha-9876543210-2');
  });

  it('fills every placeholder from the run', () => {
    expect(render('{run_number}.{job}.{repo}.{owner}.{sha}.{event}')).toBe(
      '55.deploy.octo-repo.octo-org.a1b2c3d.pull_request'
    );
    expect(render('{repository}')).toBe('octo-org-octo-repo');
  });

  it('replaces characters STS rejects in substituted values', () => {
    expect(render('{actor}')).toBe('dependabot-bot');
    expect(render('{workflow}@{ref_name}')).toBe('CI-Deploy@feature-new-thing');
  });

  it('rejects an unknown placeholder and lists the allowed ones', () => {
    expect(() => parseSessionNameTemplate('gha-{runid}')).toThrow(
      /^Input role-session-name has unknown placeholder \{runid\}: use any of \{run_id\} \{run_attempt\}.*\{event\}$/
    );
  });

  it('rejects a literal character STS does not allow', () => {
    expect(() => parseSessionNameTemplate('gha {run_id}')).toThrow('Input role-session-name has the character " "');
    expect(() => parseSessionNameTemplate('gha/{run_id}')).toThrow(ActionError);
  });

  it('shortens a long name by trimming the longest values, never run_id or run_attempt', () => {
    const long: RunContext = { ...run, workflow: 'w'.repeat(50), job: 'j'.repeat(30), refName: 'short' };
    const name = render('{workflow}-{job}-{ref_name}-{run_id}-{run_attempt}', long);
    expect(name).toHaveLength(64);
    expect(name.endsWith('-short-9876543210-2')).toBe(true);
    // The other parts take 20 characters; the 44 left are shared out longest first.
    expect(name).toBe(`${'w'.repeat(22)}-${'j'.repeat(22)}-short-9876543210-2`);
  });

  it('fails when even the untrimmable parts exceed 64 characters', () => {
    expect(() => render(`${'x'.repeat(60)}-{run_id}`)).toThrow(/longer than 64 characters/);
  });

  it('fails when the name is shorter than 2 characters', () => {
    expect(() => render('{job}', { ...run, job: '' })).toThrow(
      'Input role-session-name gives "" for this run, shorter than 2 characters'
    );
  });
});
