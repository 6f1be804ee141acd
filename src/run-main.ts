import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkProfilesWritable, profileFilesFrom, writeProfiles } from './aws-profile-files.ts';
import { ActionError } from './errors.ts';
import { applyProxyInputs, proxyAgentFor } from './http-transport.ts';
import { obtainCredentials, REQUEST_TIMEOUTS, retryPolicyFor, type Identity } from './obtain-credentials.ts';
import { oidcTokenServiceFrom } from './oidc-token.ts';
import {
  checkAllowedAccount,
  maskCredentials,
  publishCredentials,
  type AssumedRole,
  type RunnerCommands
} from './publish.ts';
import type { RetryClock } from './retry.ts';
import { runContextFrom } from './run-context.ts';
import { renderSessionName } from './session-name.ts';
import { readSettings, type InputReader, type Settings } from './settings.ts';
import { successSummary } from './summary.ts';
import { fileTokens, githubOidcTokens } from './web-identity-token.ts';

export interface MainDependencies {
  input: InputReader;
  env: NodeJS.ProcessEnv;
  runner: RunnerCommands & { info(message: string): void };
  clock: RetryClock;
  /** Appends Markdown to the job summary. */
  summarise(markdown: string): void;
}

/**
 * The main step: settings → identity (token or chained credentials) → each role →
 * mask → check → export / write profiles → one line per role and the summary.
 */
export async function runMain({ input, env, runner, clock, summarise }: MainDependencies): Promise<Settings> {
  const settings = readSettings(input);
  maskProxyPassword(settings, runner);
  applyProxyInputs(settings, env);
  const sessionName = renderSessionName(settings.sessionNameTemplate, runContextFrom(env));
  const deadline = clock.now() + settings.actionTimeoutSeconds * 1000;
  const identity = identityFor(settings, env, runner, clock, deadline);
  const profileFiles = profileFilesFrom(env);
  const profiles = settings.targets.flatMap((target) => (target.profile === undefined ? [] : [target.profile]));
  if (profiles.length) checkProfilesWritable(profileFiles, profiles, settings.overwriteAwsProfile);
  const agent = proxyAgentFor(
    settings.stsEndpoint ??
      `https://sts.${settings.region}.amazonaws.com${settings.region.startsWith('cn-') ? '.cn' : ''}`
  );

  const roles: AssumedRole[] = [];
  for (const target of settings.targets) {
    const credentials = await obtainCredentials({
      settings,
      target,
      sessionName,
      identity,
      deadline,
      agent,
      log: (line) => runner.info(line),
      clock
    });
    maskCredentials(runner, settings, credentials);
    roles.push({ target, credentials });
  }
  for (const role of roles) checkAllowedAccount(settings, role);
  publishCredentials(runner, settings, roles, (entries) =>
    writeProfiles(profileFiles, entries, settings.overwriteAwsProfile)
  );

  const now = new Date(clock.now());
  for (const { target, credentials } of roles) {
    const minutes = Math.round((credentials.expiration.getTime() - now.getTime()) / 60000);
    const into = target.profile === undefined ? '' : ` into profile ${target.profile}`;
    runner.info(
      `Assumed ${target.role.arn} as session ${sessionName}${into}; credentials expire ${credentials.expiration.toISOString()} (in ${minutes} min)`
    );
  }
  if (settings.jobSummary) {
    const claims = identity.kind === 'web-identity' ? identity.tokens.claims() : {};
    summarise(
      successSummary({
        roles: roles.map(({ target, credentials }) => ({
          roleArn: target.role.arn,
          ...(target.profile === undefined ? {} : { profile: target.profile }),
          accountId: credentials.accountId,
          expiration: credentials.expiration
        })),
        sessionName,
        maskAccountId: settings.maskAccountId,
        region: settings.region,
        audience: identity.kind === 'web-identity' ? settings.audience : '(role chaining: none)',
        subject: typeof claims.sub === 'string' ? claims.sub : '',
        now
      })
    );
  }
  return settings;
}

/** How this run proves who it is; every check here is local, so a failure makes no request. */
function identityFor(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  runner: MainDependencies['runner'],
  clock: RetryClock,
  deadline: number
): Identity {
  const mask = (secret: string): void => runner.setSecret(secret);
  switch (settings.credentialSource) {
    case 'role-chaining': {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey) {
        throw new ActionError(
          'Input role-chaining needs credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): use this action once earlier in the job without role-chaining'
        );
      }
      return {
        kind: 'role-chaining',
        credentials: {
          accessKeyId,
          secretAccessKey,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {})
        }
      };
    }
    case 'token-file': {
      const path = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), settings.webIdentityTokenFile!);
      return { kind: 'web-identity', tokens: fileTokens(path, (file) => readFileSync(file, 'utf8'), mask, clock) };
    }
    case 'github-oidc':
      return {
        kind: 'web-identity',
        tokens: githubOidcTokens({
          service: oidcTokenServiceFrom(env),
          audience: settings.audience,
          policy: retryPolicyFor(settings),
          deadline,
          clock,
          responseTimeoutMs: REQUEST_TIMEOUTS.responseMs,
          mask,
          log: (line) => runner.info(line)
        })
      };
  }
}

function maskProxyPassword(settings: Settings, runner: MainDependencies['runner']): void {
  if (!settings.httpProxy) return;
  const password = decodeURIComponent(new URL(settings.httpProxy).password);
  if (password) runner.setSecret(password);
}
