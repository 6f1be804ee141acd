import { decodeCleanupState, variablesToClear } from './cleanup-state.ts';

export interface PostRunner {
  exportVariable(name: string, value: string): void;
  info(message: string): void;
}

/**
 * The post step: clears exactly what main exported, and only what still holds main's
 * values. An exported empty string is how a variable is unset for later steps; the AWS
 * CLI and SDKs treat an empty credential variable as absent.
 */
export function runPost(env: NodeJS.ProcessEnv, runner: PostRunner): void {
  const state = decodeCleanupState(env);
  if (!state || state.variables.length === 0) {
    runner.info('Nothing to clean up: the main step exported no credentials (or cleanup is off).');
    return;
  }
  const toClear = variablesToClear(state, env);
  for (const name of toClear) runner.exportVariable(name, '');
  const kept = state.variables.filter((name) => !toClear.includes(name));
  runner.info(toClear.length ? `Cleared ${toClear.join(', ')}.` : 'Cleared nothing.');
  if (kept.length) runner.info(`Left ${kept.join(', ')} as they are: a later step set them to other values.`);
}
