/** The facts about the current run that a session name can be built from. */
export interface RunContext {
  runId: string;
  runAttempt: string;
  runNumber: string;
  job: string;
  repository: string;
  owner: string;
  repo: string;
  workflow: string;
  actor: string;
  refName: string;
  sha: string;
  eventName: string;
  /** GITHUB_ACTION: the step's id (or __owner_action for unnamed steps). */
  action: string;
  /** GITHUB_REF in full: refs/heads/main, refs/pull/1/merge, … */
  ref: string;
}

/**
 * Reads the run from the runner's GITHUB_* variables: the same ones @actions/github's
 * `context` reads. We read them directly because importing that `context` also loads
 * the Octokit REST client, which cost the main bundle 142 KB and start-up time.
 */
export function runContextFrom(env: NodeJS.ProcessEnv): RunContext {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  return {
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '',
    runNumber: env.GITHUB_RUN_NUMBER ?? '',
    job: env.GITHUB_JOB ?? '',
    repository,
    owner,
    repo,
    workflow: env.GITHUB_WORKFLOW ?? '',
    actor: env.GITHUB_ACTOR ?? '',
    refName: env.GITHUB_REF_NAME ?? (env.GITHUB_REF ?? '').replace(/^refs\/(heads|tags)\//, ''),
    sha: env.GITHUB_SHA ?? '',
    eventName: env.GITHUB_EVENT_NAME ?? '',
    action: env.GITHUB_ACTION ?? '',
    ref: env.GITHUB_REF ?? ''
  };
}
