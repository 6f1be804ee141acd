import { describeOidcFailure, describeStsFailure } from './diagnosis.ts';
import { classifyOidcFailure, classifyStsFailure } from './failure-class.ts';
import { decodeJwtClaims, secondsUntilExpiry } from './jwt-claims.ts';
import { fetchIdToken, OidcRequestError, type OidcTokenService } from './oidc-token.ts';
import { withRetries, type RetryClock, type RetryPolicy } from './retry.ts';
import type { Settings } from './settings.ts';
import { StsCallError } from './sts-call-error.ts';
import type { IssuedCredentials } from './sts-types.ts';

/** Per-request limits; each is also cut to what is left before the overall deadline. */
export const REQUEST_TIMEOUTS = { connectMs: 5000, responseMs: 10000 };
/** Fetch a new token rather than send one this close to its expiry. */
const TOKEN_REFRESH_MARGIN_S = 60;
// A 20 s cap (as the AWS SDKs use) lets 12 attempts span a 30 s STS brown-out in all but ~0.07% of runs.
const BACKOFF = { baseDelayMs: 1000, maxDelayMs: 20000 };

export interface ObtainOptions {
  settings: Settings;
  sessionName: string;
  tokenService: OidcTokenService;
  mask(secret: string): void;
  log(line: string): void;
  clock: RetryClock;
}

/**
 * The OIDC token and the STS call, each retried only for transient failures, with a
 * fresh token when STS says it expired or it is about to, all within action-timeout-s.
 */
export interface ObtainedCredentials {
  credentials: IssuedCredentials;
  /** The claims of the token STS accepted, for the summary. */
  claims: Record<string, unknown>;
}

export async function obtainCredentials(options: ObtainOptions): Promise<ObtainedCredentials> {
  const { settings, clock } = options;
  // The AWS SDK takes ~35 ms to evaluate, so it is loaded on first use. Loading it
  // alongside the token request delayed that request by as much (measured: npm run bench).
  let stsClient: Promise<typeof import('./sts.ts')> | undefined;
  const deadline = clock.now() + settings.actionTimeoutSeconds * 1000;
  const policy: RetryPolicy = { maxAttempts: settings.disableRetry ? 1 : settings.retryMaxAttempts, ...BACKOFF };
  const timeoutFor = (remainingMs: number, limitMs: number): number => Math.max(1, Math.min(limitMs, remainingMs));
  let token: string | undefined;
  let stsAttempts = 0;

  const currentToken = async (): Promise<string> => {
    if (token && secondsUntilExpiry(decodeJwtClaims(token), new Date(clock.now())) > TOKEN_REFRESH_MARGIN_S) return token;
    let attempts = 0;
    token = await withRetries({
      what: "GitHub's OIDC token",
      policy,
      deadline,
      clock,
      classify: (error) => (error instanceof OidcRequestError ? classifyOidcFailure(error) : 'fail'),
      describe: (error) => (error instanceof OidcRequestError ? error.message : String(error)),
      log: options.log,
      attempt: (remainingMs) => {
        attempts += 1;
        return fetchIdToken(options.tokenService, { audience: settings.audience, timeoutMs: timeoutFor(remainingMs, REQUEST_TIMEOUTS.responseMs), mask: options.mask });
      }
    }).catch((error: unknown) => {
      throw describeOidcFailure(error, attempts);
    });
    return token;
  };

  try {
    const credentials = await withRetries({
      what: 'STS AssumeRoleWithWebIdentity',
      policy,
      deadline,
      clock,
      classify: (error) => (error instanceof StsCallError ? classifyStsFailure(error) : 'fail'),
      describe: (error) => (error instanceof StsCallError ? stsFailureSummary(error) : String(error)),
      onNewToken: () => (token = undefined),
      log: options.log,
      attempt: async (remainingMs) => {
        const webIdentityToken = await currentToken();
        const { assumeRoleWithWebIdentity } = await (stsClient ??= import('./sts.ts'));
        stsAttempts += 1;
        return assumeRoleWithWebIdentity({
          region: settings.region,
          ...(settings.stsEndpoint ? { endpoint: settings.stsEndpoint } : {}),
          roleArn: settings.role.arn,
          sessionName: options.sessionName,
          durationSeconds: settings.durationSeconds,
          webIdentityToken,
          ...(settings.inlineSessionPolicy ? { policy: settings.inlineSessionPolicy } : {}),
          policyArns: settings.managedSessionPolicies,
          connectTimeoutMs: timeoutFor(remainingMs, REQUEST_TIMEOUTS.connectMs),
          responseTimeoutMs: timeoutFor(remainingMs, REQUEST_TIMEOUTS.responseMs)
        });
      }
    });
    return { credentials, claims: token ? decodeJwtClaims(token) : {} };
  } catch (error) {
    throw describeStsFailure(error, { settings, claims: token ? decodeJwtClaims(token) : {}, attempts: stsAttempts });
  }
}

function stsFailureSummary(error: StsCallError): string {
  return error.code === 'Unknown' ? `HTTP ${error.httpStatus ?? '?'}` : `${error.code} (${error.message})`;
}
