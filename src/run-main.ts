import { checkAllowedAccount, maskCredentials, publishCredentials, type RunnerCommands } from './publish.ts';
import { obtainCredentials } from './obtain-credentials.ts';
import { oidcTokenServiceFrom } from './oidc-token.ts';
import type { RetryClock } from './retry.ts';
import { renderSessionName } from './session-name.ts';
import { readSettings, type InputReader } from './settings.ts';
import { runContextFrom } from './run-context.ts';

export interface MainDependencies {
  input: InputReader;
  env: NodeJS.ProcessEnv;
  runner: RunnerCommands & { info(message: string): void };
  clock: RetryClock;
}

/** The main step: settings → token → role → mask and export → one line for the log. */
export async function runMain({ input, env, runner, clock }: MainDependencies): Promise<void> {
  const settings = readSettings(input);
  const sessionName = renderSessionName(settings.sessionNameTemplate, runContextFrom(env));
  const tokenService = oidcTokenServiceFrom(env);

  const credentials = await obtainCredentials({
    settings,
    sessionName,
    tokenService,
    mask: (secret) => runner.setSecret(secret),
    log: (line) => runner.info(line),
    clock
  });

  maskCredentials(runner, settings, credentials);
  checkAllowedAccount(settings, credentials);
  publishCredentials(runner, settings, credentials);

  const minutes = Math.round((credentials.expiration.getTime() - clock.now()) / 60000);
  runner.info(
    `Assumed ${settings.role.arn} as session ${sessionName}; credentials expire ${credentials.expiration.toISOString()} (in ${minutes} min)`
  );
}
