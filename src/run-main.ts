import { checkAllowedAccount, maskCredentials, publishCredentials, type RunnerCommands } from './publish.ts';
import { obtainCredentials } from './obtain-credentials.ts';
import { oidcTokenServiceFrom } from './oidc-token.ts';
import type { RetryClock } from './retry.ts';
import { renderSessionName } from './session-name.ts';
import { readSettings, type InputReader, type Settings } from './settings.ts';
import { successSummary } from './summary.ts';
import { runContextFrom } from './run-context.ts';

export interface MainDependencies {
  input: InputReader;
  env: NodeJS.ProcessEnv;
  runner: RunnerCommands & { info(message: string): void };
  clock: RetryClock;
  /** Appends Markdown to the job summary. */
  summarise(markdown: string): void;
}

/** The main step: settings → token → role → mask and export → one line for the log. */
export async function runMain({ input, env, runner, clock, summarise }: MainDependencies): Promise<Settings> {
  const settings = readSettings(input);
  const sessionName = renderSessionName(settings.sessionNameTemplate, runContextFrom(env));
  const tokenService = oidcTokenServiceFrom(env);

  const { credentials, claims } = await obtainCredentials({
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
  if (settings.jobSummary) {
    summarise(
      successSummary({
        roleArn: settings.role.arn,
        sessionName,
        accountId: credentials.accountId,
        maskAccountId: settings.maskAccountId,
        region: settings.region,
        audience: settings.audience,
        subject: typeof claims.sub === 'string' ? claims.sub : '',
        expiration: credentials.expiration,
        now: new Date(clock.now())
      })
    );
  }
  return settings;
}
