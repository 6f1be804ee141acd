import type { ProfileCleanup } from './aws-profile-files.ts';
import { decodeCleanupState, variablesToClear } from './cleanup-state.ts';

export interface PostRunner {
  exportVariable(name: string, value: string): void;
  info(message: string): void;
  /** Removes the profile sections main wrote; returns the files changed. */
  removeProfiles(profiles: ProfileCleanup): string[];
}

/**
 * The post step: clears exactly what main exported, and only what still holds main's
 * values. An exported empty string is how a variable is unset for later steps; the AWS
 * CLI and SDKs treat an empty credential variable as absent.
 */
export function runPost(env: NodeJS.ProcessEnv, runner: PostRunner): void {
  const state = decodeCleanupState(env);
  if (state?.profiles) {
    const changed = runner.removeProfiles(state.profiles);
    runner.info(
      changed.length
        ? `Removed the AWS profiles this action wrote from ${changed.join(', ')}.`
        : 'The AWS profiles this action wrote were already gone.'
    );
  }
  if (!state || state.variables.length === 0) {
    if (state?.profiles) return;
    runner.info('Nothing to clean up: the main step exported no credentials (or cleanup is off).');
    return;
  }
  const toClear = variablesToClear(state, env);
  for (const name of toClear) runner.exportVariable(name, '');
  const kept = state.variables.filter((name) => !toClear.includes(name));
  runner.info(toClear.length ? `Cleared ${toClear.join(', ')}.` : 'Cleared nothing.');
  if (kept.length) runner.info(`Left ${kept.join(', ')} as they are: a later step set them to other values.`);
}
