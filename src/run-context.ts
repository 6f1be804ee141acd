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
}

/** The subset of @actions/github's Context we read; kept structural so tests pass plain objects. */
export interface GitHubContextLike {
  runId: number;
  runAttempt: number;
  runNumber: number;
  job: string;
  workflow: string;
  actor: string;
  ref: string;
  sha: string;
  eventName: string;
}

/**
 * Builds the run context from @actions/github's context plus the variables it does
 * not carry (GITHUB_REPOSITORY is read here rather than through `context.repo`,
 * which throws when it is unset).
 */
export function runContextFrom(context: GitHubContextLike, env: NodeJS.ProcessEnv): RunContext {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  return {
    runId: numberText(context.runId),
    runAttempt: numberText(context.runAttempt),
    runNumber: numberText(context.runNumber),
    job: context.job ?? '',
    repository,
    owner,
    repo,
    workflow: context.workflow ?? '',
    actor: context.actor ?? '',
    refName: env.GITHUB_REF_NAME ?? (context.ref ?? '').replace(/^refs\/(heads|tags)\//, ''),
    sha: context.sha ?? '',
    eventName: context.eventName ?? ''
  };
}

function numberText(value: number): string {
  return Number.isFinite(value) ? String(value) : '';
}
