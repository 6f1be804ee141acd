import { checkAllowedAccount, maskCredentials, publishCredentials, type RunnerCommands } from './publish.ts';
import { fetchIdToken, oidcTokenServiceFrom } from './oidc-token.ts';
import { renderSessionName } from './session-name.ts';
import { readSettings, type InputReader } from './settings.ts';
import { runContextFrom, type GitHubContextLike } from './run-context.ts';
import { assumeRoleWithWebIdentity } from './sts.ts';
import { describeStsFailure } from './sts-failure.ts';

export interface MainDependencies {
  input: InputReader;
  env: NodeJS.ProcessEnv;
  context: GitHubContextLike;
  runner: RunnerCommands & { info(message: string): void };
  now(): Date;
}

const TIMEOUTS = { connectMs: 5000, responseMs: 10000 };

/** The main step: settings → token → role → mask and export → one line for the log. */
export async function runMain({ input, env, context, runner, now }: MainDependencies): Promise<void> {
  const settings = readSettings(input);
  const sessionName = renderSessionName(settings.sessionNameTemplate, runContextFrom(context, env));
  const tokenService = oidcTokenServiceFrom(env);

  const webIdentityToken = await fetchIdToken(tokenService, {
    audience: settings.audience,
    timeoutMs: TIMEOUTS.responseMs,
    mask: (secret) => runner.setSecret(secret)
  });
  const credentials = await assumeRoleWithWebIdentity({
    region: settings.region,
    ...(settings.stsEndpoint ? { endpoint: settings.stsEndpoint } : {}),
    roleArn: settings.role.arn,
    sessionName,
    durationSeconds: settings.durationSeconds,
    webIdentityToken,
    ...(settings.inlineSessionPolicy ? { policy: settings.inlineSessionPolicy } : {}),
    policyArns: settings.managedSessionPolicies,
    connectTimeoutMs: TIMEOUTS.connectMs,
    responseTimeoutMs: TIMEOUTS.responseMs
  }).catch((error: unknown) => {
    throw describeStsFailure(error, settings.role.arn);
  });

  maskCredentials(runner, settings, credentials);
  checkAllowedAccount(settings, credentials);
  publishCredentials(runner, settings, credentials);

  const minutes = Math.round((credentials.expiration.getTime() - now().getTime()) / 60000);
  runner.info(
    `Assumed ${settings.role.arn} as session ${sessionName}; credentials expire ${credentials.expiration.toISOString()} (in ${minutes} min)`
  );
}
