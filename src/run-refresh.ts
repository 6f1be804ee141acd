/*
 * The refresh helper's slow path (the fast one, a cache hit, is in refresh.ts): under the
 * profile's lock, a fresh token from GitHub (or the token file), then the same
 * AssumeRoleWithWebIdentity main made, through the action's own modules with the same
 * retry and diagnosis rules, all within a short deadline so an AWS command never hangs.
 * Nothing here writes to stdout or stderr: the caller prints the credentials or one line.
 */
import nodePath from 'node:path';
import type { ProcessCredentials } from './credential-process.ts';
import { ActionError } from './errors.ts';
import { applyProxyInputs } from './http-transport.ts';
import { credentialSourceFor, useChainStart } from './credential-sources.ts';
import { obtainCredentials } from './obtain-credentials.ts';
import {
  freshCachedCredentials,
  readRefreshParams,
  tryLock,
  writeCachedCredentials,
  type RefreshParams
} from './refresh-files.ts';
import { retryPolicyFor, type RetryClock } from './retry.ts';

/** A refresh (waiting for another helper's included) gives up after this long. */
export const HELPER_DEADLINE_MS = 30_000;
const LOCK_POLL_MS = 50;

// The helper never announces secrets: it has no log. What it prints goes to the SDK only.
const silent = (): void => undefined;

export async function refreshedCredentials(
  paramsPath: string,
  profile: string,
  clock: RetryClock,
  env: NodeJS.ProcessEnv = process.env
): Promise<ProcessCredentials> {
  const params = readRefreshParams(paramsPath);
  if (!Object.hasOwn(params.targets, profile)) {
    throw new ActionError(
      `profile "${profile}" is not one this action's step set up: check the credential_process line`
    );
  }
  const folder = nodePath.dirname(paramsPath);
  const deadline = clock.now() + HELPER_DEADLINE_MS;
  for (;;) {
    const cached = freshCachedCredentials(folder, profile, clock.now());
    if (cached) return cached;
    const release = tryLock(folder, profile, clock.now());
    if (release) {
      try {
        // Another helper may have refreshed between the check and the lock.
        const again = freshCachedCredentials(folder, profile, clock.now());
        if (again) return again;
        const credentials = await assume(params, profile, deadline, clock, env);
        writeCachedCredentials(folder, profile, credentials);
        return credentials;
      } finally {
        release();
      }
    }
    if (clock.now() + LOCK_POLL_MS >= deadline) {
      throw new ActionError(
        `gave up after ${HELPER_DEADLINE_MS / 1000} s waiting for another refresh of profile "${profile}" to finish`
      );
    }
    await clock.sleep(LOCK_POLL_MS);
  }
}

async function assume(
  params: RefreshParams,
  profile: string,
  deadline: number,
  clock: RetryClock,
  env: NodeJS.ProcessEnv
): Promise<ProcessCredentials> {
  const { settings } = params;
  // A chain starts where main's did, whatever environment the tool that started us has.
  if (params.chainStart) useChainStart(env, params.chainStart);
  applyProxyInputs(settings.transport, env);
  // The same source main used, built from main's settings; the token request comes from
  // the params, as the environment of whatever started this helper may not have it.
  const source = credentialSourceFor({
    settings,
    env: params.tokenService
      ? {
          ...env,
          ACTIONS_ID_TOKEN_REQUEST_URL: params.tokenService.url,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: params.tokenService.bearer
        }
      : env,
    clock,
    deadline,
    mask: silent,
    log: silent
  });
  const issued = await obtainCredentials({
    target: params.targets[profile]!,
    sessionName: params.sessionName,
    session: settings.identity.session,
    transport: settings.transport,
    source,
    // Main's tags (role-chaining: AssumeRole carries them); web identity takes none.
    sessionTags: params.sessionTags ?? [],
    policy: retryPolicyFor(settings.requests),
    deadline,
    explain: { audience: settings.identity.audience, nameProfile: false },
    log: silent,
    clock
  });
  return {
    accessKeyId: issued.accessKeyId,
    secretAccessKey: issued.secretAccessKey,
    sessionToken: issued.sessionToken,
    expiration: issued.expiration.toISOString(),
    issuedAt: new Date(clock.now()).toISOString()
  };
}
