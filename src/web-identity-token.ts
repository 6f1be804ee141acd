/*
 * Where the web identity token comes from: GitHub's token service (retried when it
 * fails transiently) or a file (self-hosted runners on Kubernetes). Either way one token
 * serves every STS call until it is close to expiry or STS says it expired.
 */
import { describeOidcFailure } from './diagnosis.ts';
import { ActionError } from './errors.ts';
import { neutralise } from './external-text.ts';
import { classifyOidcFailure } from './failure-class.ts';
import { decodeJwtClaims, secondsUntilExpiry } from './jwt-claims.ts';
import { fetchIdToken, type OidcTokenService } from './oidc-token.ts';
import { RequestError } from './request-error.ts';
import { withinRemaining, withRetries, type RetryClock, type RetryPolicy } from './retry.ts';

export interface TokenProvider {
  /** A token that is not about to expire, fetched (or read) again when needed. */
  current(remainingMs: number): Promise<string>;
  /** Starts fetching now; the next current() gets this fetch's outcome. */
  prefetch(remainingMs: number): void;
  /** STS said the token expired: the next current() gets a new one. */
  invalidate(): void;
  /** The claims of the token in hand, for diagnoses and the summary ({} before the first). */
  claims(): Record<string, unknown>;
}

/** Fetch a new token rather than send one this close to its expiry. */
const REFRESH_MARGIN_S = 60;

function cachedProvider(load: (remainingMs: number) => Promise<string>, clock: RetryClock): TokenProvider {
  let token: string | undefined;
  let early: Promise<string> | undefined;
  const keep = (loaded: string): string => (token = loaded);
  return {
    current(remainingMs) {
      if (early) {
        // The fetch started early answers the first caller, failure included.
        const started = early;
        early = undefined;
        return started;
      }
      if (token !== undefined && secondsUntilExpiry(decodeJwtClaims(token), new Date(clock.now())) > REFRESH_MARGIN_S) {
        return Promise.resolve(token);
      }
      return load(remainingMs).then(keep);
    },
    prefetch(remainingMs) {
      early = load(remainingMs).then(keep);
      // Handled by whoever calls current(); not an unhandled rejection meanwhile.
      early.catch(() => undefined);
    },
    invalidate: () => void (token = undefined),
    claims: () => (token ? decodeJwtClaims(token) : {})
  };
}

export interface GitHubTokenOptions {
  service: OidcTokenService;
  audience: string;
  policy: RetryPolicy;
  deadline: number;
  clock: RetryClock;
  responseTimeoutMs: number;
  mask(secret: string): void;
  log(line: string): void;
}

export function githubOidcTokens(options: GitHubTokenOptions): TokenProvider {
  return cachedProvider(async () => {
    let attempts = 0;
    return withRetries({
      what: "GitHub's OIDC token",
      policy: options.policy,
      deadline: options.deadline,
      clock: options.clock,
      classify: (error) => (error instanceof RequestError ? classifyOidcFailure(error) : 'fail'),
      describe: (error) => neutralise(error instanceof RequestError ? error.message : error),
      log: options.log,
      attempt: (remainingMs) => {
        attempts += 1;
        return fetchIdToken(options.service, {
          audience: options.audience,
          timeoutMs: withinRemaining(options.responseTimeoutMs, remainingMs),
          mask: options.mask
        });
      }
    }).catch((error: unknown) => {
      throw describeOidcFailure(error, attempts);
    });
  }, options.clock);
}

/** Reads the token from a file each time a fresh one is needed (the file is rotated by its owner). */
export function fileTokens(
  path: string,
  read: (path: string) => string,
  mask: (secret: string) => void,
  clock: RetryClock
): TokenProvider {
  return cachedProvider(async () => {
    let token: string;
    try {
      token = read(path).trim();
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unreadable';
      throw new ActionError(
        `Input web-identity-token-file: cannot read ${path} (${code}): check the path; a relative path starts at the workspace`
      );
    }
    if (token.length < 4)
      throw new ActionError(`Input web-identity-token-file: ${path} holds no token: check what writes it`);
    mask(token);
    return token;
  }, clock);
}
