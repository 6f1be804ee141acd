import type { ProfileCleanup } from './aws-profile-files.ts';
import { decodeCleanupState, variablesToClear } from './cleanup-state.ts';
import { logLine } from './external-text.ts';

export interface PostRunner {
  exportVariable(name: string, value: string): void;
  info(message: string): void;
  /** An annotation; the runner command escapes it onto one line. */
  warning(message: string): void;
  /** Removes the profile sections main wrote; returns the files changed and each problem met. */
  removeProfiles(profiles: ProfileCleanup): { changed: string[]; problems: string[] };
  /** Removes the refresh helper's folder (its params and cached credentials). */
  removeRefreshFolder(folder: string): void;
}

/**
 * The post step: clears exactly what main exported, and only what still holds main's
 * values. An exported empty string is how a variable is unset for later steps; the AWS
 * CLI and SDKs treat an empty credential variable as absent. Each cleanup is attempted
 * on its own: a failure becomes a warning and never stops the others or fails the job.
 */
export function runPost(env: NodeJS.ProcessEnv, runner: PostRunner): void {
  // Lines name paths from main's state (AWS_CONFIG_FILE …): through the gate, like every line.
  const info = (message: string): void => runner.info(logLine(message));
  const attempt = (what: string, action: () => void): void => {
    try {
      action();
    } catch (error) {
      runner.warning(
        `${what}: ${logLine(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error))}`
      );
    }
  };
  let state: ReturnType<typeof decodeCleanupState>;
  attempt('Could not read the state the main step saved', () => (state = decodeCleanupState(env)));
  const profiles = state?.profiles;
  if (profiles) {
    attempt('Could not remove the AWS profiles this action wrote', () => {
      const { changed, problems } = runner.removeProfiles(profiles);
      for (const problem of problems) runner.warning(logLine(problem));
      if (changed.length) info(`Removed the AWS profiles this action wrote from ${changed.join(', ')}.`);
      else if (!problems.length) info('The AWS profiles this action wrote were already gone.');
    });
  }
  const refreshFolder = state?.refreshFolder;
  if (refreshFolder) {
    attempt("Could not remove the refresh helper's files", () => {
      runner.removeRefreshFolder(refreshFolder);
      info(`Removed the refresh helper's files (${refreshFolder}).`);
    });
  }
  if (!state || state.variables.length === 0) {
    if (!profiles && !refreshFolder)
      info('Nothing to clean up: the main step exported no credentials (or cleanup is off).');
    return;
  }
  const { variables } = state;
  attempt('Could not clear the AWS variables', () => {
    const toClear = variablesToClear(state!, env);
    const failed: string[] = [];
    for (const name of toClear) {
      try {
        runner.exportVariable(name, '');
      } catch {
        failed.push(name);
      }
    }
    const cleared = toClear.filter((name) => !failed.includes(name));
    const kept = variables.filter((name) => !toClear.includes(name));
    info(cleared.length ? `Cleared ${cleared.join(', ')}.` : 'Cleared nothing.');
    if (failed.length) runner.warning(`Could not clear ${failed.join(', ')}: writing GITHUB_ENV failed.`);
    if (kept.length) info(`Left ${kept.join(', ')} as they are: a later step set them to other values.`);
  });
}
