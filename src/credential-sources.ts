/*
 * How this run proves who it is to STS: one implementation per way, chosen once in
 * credentialSourceFor. Nothing else asks which way it is: each source makes its own STS
 * call, renews its own proof and explains its own failures.
 */
import { resolve } from 'node:path';
import { describeChainingFailure, describeWebIdentityFailure, type StsFailureContext } from './diagnosis.ts';
import { readRegularFile } from './aws-profile-files.ts';
import { oidcTokenServiceFrom } from './oidc-token.ts';
import { REQUEST_TIMEOUTS, retryPolicyFor, type RetryClock } from './retry.ts';
import type { Settings } from './settings.ts';
import type { AssumeRoleRequest, IssuedCredentials, SigningCredentials } from './sts-types.ts';
import { fileTokens, githubOidcTokens, type TokenProvider } from './web-identity-token.ts';

/** The STS client module (loaded on first use). */
export type Sts = typeof import('./sts.ts');

export interface CredentialSource {
  /** The STS call it makes, for retry log lines and the deadline error. */
  readonly stsCall: string;
  /**
   * One STS call for one role; the caller retries it. The STS client is loaded by `sts()`
   * after the proof is in hand, so loading it never delays the token request.
   */
  assume(request: AssumeRoleRequest, remainingMs: number, sts: () => Promise<Sts>): Promise<IssuedCredentials>;
  /** Starts getting the proof now (the token request goes out first); a no-op where there is nothing to fetch. */
  prefetch(remainingMs: number): void;
  /** STS said the proof expired: the next assume() gets a fresh one. */
  renew(): void;
  /** The user's error line for a role this source could not get. */
  explain(error: unknown, context: StsFailureContext): Error;
  /** What the job summary shows about the identity. */
  /** Rows for the job summary saying how this run proved who it is. */
  summary(): [label: string, value: string][];
  /** The web identity token's issuer (iss); undefined for signed calls or before a token is in hand. */
  issuer(): string | undefined;
}

export interface SourceDependencies {
  settings: Settings;
  env: NodeJS.ProcessEnv;
  clock: RetryClock;
  /** Epoch ms: action-timeout-s. */
  deadline: number;
  agent?: unknown;
  mask(secret: string): void;
  log(line: string): void;
}

/** The one place that picks the source; every check here is local, so a failure makes no request. */
export function credentialSourceFor(deps: SourceDependencies): CredentialSource {
  const { settings, env } = deps;
  const { identity } = settings;
  switch (identity.source) {
    case 'github-oidc':
      noteIgnoredAssumeRoleInputs(deps);
      return webIdentitySource(
        githubOidcTokens({
          service: oidcTokenServiceFrom(env),
          audience: identity.audience,
          policy: retryPolicyFor(settings.requests),
          deadline: deps.deadline,
          clock: deps.clock,
          responseTimeoutMs: REQUEST_TIMEOUTS.responseMs,
          mask: deps.mask,
          log: deps.log
        }),
        identity.audience
      );
    case 'token-file': {
      noteIgnoredAssumeRoleInputs(deps);
      const path = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), identity.webIdentityTokenFile!);
      const tokens = fileTokens(path, readTokenFile, deps.mask, deps.clock);
      return webIdentitySource(tokens, identity.audience);
    }
    case 'role-chaining':
      return env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? environmentKeysSource(
            {
              accessKeyId: env.AWS_ACCESS_KEY_ID,
              secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
              ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {})
            },
            deps.mask
          )
        : runnerIdentitySource(deps);
  }
}

/** configure-aws-credentials drops these silently on this path; we say so once. */
function noteIgnoredAssumeRoleInputs({ settings, log }: SourceDependencies): void {
  const { session } = settings.identity;
  const given = [
    ...(session.externalId ? ['role-external-id'] : []),
    ...(session.transitiveTagKeys.length ? ['transitive-tag-keys'] : [])
  ];
  if (given.length) {
    log(
      `Note: ${given.join(' and ')} ${given.length > 1 ? 'apply' : 'applies'} to sts:AssumeRole (role-chaining) only; ` +
        'AssumeRoleWithWebIdentity takes neither, so they are not sent'
    );
  }
}

/** GitHub's OIDC token or a token file: AssumeRoleWithWebIdentity, unsigned; takes no tags or external id. */
function webIdentitySource(tokens: TokenProvider, audience: string): CredentialSource {
  return {
    stsCall: 'STS AssumeRoleWithWebIdentity',
    assume: async (request, remainingMs, sts) => {
      const token = await tokens.current(remainingMs);
      return (await sts()).assumeRoleWithWebIdentity(request, token);
    },
    prefetch: (remainingMs) => tokens.prefetch(remainingMs),
    renew: () => tokens.invalidate(),
    explain: (error, context) => describeWebIdentityFailure(error, { ...context, claims: tokens.claims() }),
    summary: () => {
      const sub = tokens.claims().sub;
      return [
        ['Audience', audience],
        ["Token's sub", typeof sub === 'string' ? sub : '(unknown)']
      ];
    },
    issuer: () => {
      const iss = tokens.claims().iss;
      return typeof iss === 'string' ? iss : undefined;
    }
  };
}

/** AssumeRole signed with credentials found by `credentials`, which `from` names. */
function signingSource(
  from: () => string,
  credentials: (remainingMs: number) => Promise<SigningCredentials>,
  renew: () => void
): CredentialSource {
  return {
    stsCall: 'STS AssumeRole',
    assume: async (request, remainingMs, sts) => {
      const signing = await credentials(remainingMs);
      return (await sts()).assumeRoleWithCredentials(request, signing);
    },
    prefetch: () => undefined,
    renew,
    explain: (error, context) => describeChainingFailure(error, { ...context, from: from() }),
    summary: () => [['Chained from', from()]],
    issuer: () => undefined
  };
}

/**
 * Keys an earlier step exported (or the job set). Masked here although this action and
 * the secrets store mask theirs: a script step may have exported keys without add-mask.
 */
function environmentKeysSource(credentials: SigningCredentials, mask: (secret: string) => void): CredentialSource {
  mask(credentials.accessKeyId);
  mask(credentials.secretAccessKey);
  if (credentials.sessionToken) mask(credentials.sessionToken);
  return signingSource(
    () => "the credentials in the environment (the previous step's role)",
    async () => credentials,
    () => undefined
  );
}

// The SDK's credential providers, loaded only on this path (a separate chunk).
let runnerIdentity: Promise<typeof import('./runner-aws-identity.ts')> | undefined;

/** The runner's own AWS identity (instance profile, task role, Pod Identity, IRSA, profile), found once. */
function runnerIdentitySource(deps: SourceDependencies): CredentialSource {
  let found: Promise<{ source: string; credentials: SigningCredentials }> | undefined;
  let source = "the runner's AWS identity";
  return signingSource(
    () => source,
    async (remainingMs) => {
      found ??= (runnerIdentity ??= import('./runner-aws-identity.ts'))
        .then(({ findRunnerIdentity }) =>
          findRunnerIdentity({
            env: deps.env,
            region: deps.settings.transport.region,
            ...(deps.settings.transport.stsEndpoint ? { stsEndpoint: deps.settings.transport.stsEndpoint } : {}),
            requestTimeoutMs: REQUEST_TIMEOUTS.connectMs,
            remainingMs,
            ...(deps.agent ? { agent: deps.agent } : {}),
            mask: deps.mask
          })
        )
        .then((identity) => {
          source = identity.source;
          deps.log(`Chaining from ${identity.source}`);
          return identity;
        });
      return (await found).credentials;
    },
    () => void (found = undefined)
  );
}

/** STS takes tokens of at most 20,000 characters; a larger file (or a FIFO, a device) is not a token. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

function readTokenFile(path: string): string {
  const text = readRegularFile(path, MAX_TOKEN_FILE_BYTES);
  if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return text;
}
