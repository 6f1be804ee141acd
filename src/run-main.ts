import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkProfilesWritable, profileContextFrom, writeProfiles } from './aws-profile-files.ts';
import { ActionError } from './errors.ts';
import { applyProxyInputs, preconnectedAgent, proxyAgentFor } from './http-transport.ts';
import { loadSts, obtainCredentials, type Identity } from './obtain-credentials.ts';
import { oidcTokenServiceFrom } from './oidc-token.ts';
import {
  checkAllowedAccounts,
  maskCredentials,
  publishCredentials,
  type AssumedRole,
  type RunnerCommands
} from './publish.ts';
import { REQUEST_TIMEOUTS, retryPolicyFor, type RetryClock } from './retry.ts';
import { runContextFrom } from './run-context.ts';
import { renderSessionName } from './session-name.ts';
import { readSettings, stsHostFor, type InputReader, type Settings, type TransportSettings } from './settings.ts';
import { successSummary } from './summary.ts';
import { fileTokens, githubOidcTokens } from './web-identity-token.ts';

export interface MainDependencies {
  input: InputReader;
  env: NodeJS.ProcessEnv;
  runner: RunnerCommands & { info(message: string): void; warning(message: string): void };
  clock: RetryClock;
  /** Appends Markdown to the job summary. */
  summarise(markdown: string): void;
}

/**
 * The main step: settings → identity (token or chained credentials) → each role →
 * mask → check → export / write profiles → one line per role and the summary.
 */
export async function runMain({ input, env, runner, clock, summarise }: MainDependencies): Promise<void> {
  const settings = readSettings(input);
  const { identity: wanted, transport, outputs } = settings;
  // Masked before any request, so no error line, diagnosis or summary can show it.
  if (outputs.maskAccountId)
    for (const { role } of wanted.targets) if (role.accountId) runner.setSecret(role.accountId);
  maskProxyPassword(transport, runner);
  applyProxyInputs(transport, env);
  const sessionName = renderSessionName(wanted.sessionNameTemplate, runContextFrom(env));
  const deadline = clock.now() + settings.requests.timeoutSeconds * 1000;
  const policy = retryPolicyFor(settings.requests);
  const identity = identityFor(settings, env, runner, clock, deadline);
  const profileContext = profileContextFrom(env, outputs.overwriteAwsProfile, (line) => runner.warning(line));
  const profiles = wanted.targets.flatMap((target) => (target.profile === undefined ? [] : [target.profile]));
  if (profiles.length) checkProfilesWritable(profileContext, profiles);
  // Every local check is done: use the waits. The token request goes out first; STS's
  // connection opens and the AWS SDK loads while it is in flight.
  if (identity.kind === 'web-identity') identity.tokens.prefetch(deadline - clock.now());
  const stsUrl = transport.stsEndpoint ?? `https://${stsHostFor(transport.region)}`;
  const agent = proxyAgentFor(stsUrl) ?? preconnectedAgent(stsUrl, REQUEST_TIMEOUTS.connectMs);
  void loadSts().catch(() => undefined);

  const roles: AssumedRole[] = [];
  for (const target of wanted.targets) {
    const credentials = await obtainCredentials({
      target,
      sessionName,
      session: wanted.session,
      transport,
      identity,
      policy,
      deadline,
      ...(agent ? { agent } : {}),
      explain: { audience: wanted.audience, nameProfile: wanted.targets.length > 1 },
      log: (line) => runner.info(line),
      clock
    });
    maskCredentials(runner, outputs, credentials);
    roles.push({ target, credentials });
  }
  checkAllowedAccounts(outputs, roles);
  publishCredentials(runner, outputs, roles, (entries, beforeSecret) =>
    writeProfiles(profileContext, entries, beforeSecret)
  );

  const now = new Date(clock.now());
  for (const { target, credentials } of roles) {
    const minutes = Math.round((credentials.expiration.getTime() - now.getTime()) / 60000);
    const into = target.profile === undefined ? '' : ` into profile ${target.profile}`;
    runner.info(
      `Assumed ${target.role.arn} as session ${sessionName}${into}; ` +
        `credentials expire ${credentials.expiration.toISOString()} (in ${minutes} min)`
    );
  }
  if (outputs.jobSummary) {
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
        maskAccountId: outputs.maskAccountId,
        region: transport.region,
        audience: identity.kind === 'web-identity' ? wanted.audience : '(role chaining: none)',
        subject: typeof claims.sub === 'string' ? claims.sub : '',
        now
      })
    );
  }
}

/** How this run proves who it is; every check here is local, so a failure makes no request. */
function identityFor(
  { identity: wanted, requests }: Settings,
  env: NodeJS.ProcessEnv,
  runner: MainDependencies['runner'],
  clock: RetryClock,
  deadline: number
): Identity {
  const mask = (secret: string): void => runner.setSecret(secret);
  switch (wanted.source) {
    case 'role-chaining': {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey) {
        throw new ActionError(
          'Input role-chaining needs credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): ' +
            'use this action once earlier in the job without role-chaining'
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
      const path = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), wanted.webIdentityTokenFile!);
      return { kind: 'web-identity', tokens: fileTokens(path, (file) => readFileSync(file, 'utf8'), mask, clock) };
    }
    case 'github-oidc':
      return {
        kind: 'web-identity',
        tokens: githubOidcTokens({
          service: oidcTokenServiceFrom(env),
          audience: wanted.audience,
          policy: retryPolicyFor(requests),
          deadline,
          clock,
          responseTimeoutMs: REQUEST_TIMEOUTS.responseMs,
          mask,
          log: (line) => runner.info(line)
        })
      };
  }
}

function maskProxyPassword(transport: TransportSettings, runner: MainDependencies['runner']): void {
  if (!transport.httpProxy) return;
  const password = decodeURIComponent(new URL(transport.httpProxy).password);
  if (password) runner.setSecret(password);
}
