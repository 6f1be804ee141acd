/*
 * How this run proves who it is to STS: one implementation per way, chosen once in
 * credentialSourceFor. Nothing else asks which way it is: each source makes its own STS
 * call, renews its own proof and explains its own failures.
 */
import { resolve } from 'node:path';
import { profileFilesFrom, readRegularFile } from './aws-profile-files.ts';
import { ActionError } from './errors.ts';
import { describeChainingFailure, describeWebIdentityFailure, type StsFailureContext } from './diagnosis.ts';
import { oidcTokenServiceFrom } from './oidc-token.ts';
import { DEFAULT_REFRESH_PROFILE } from './refresh-files.ts';
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
  agent?: AssumeRoleRequest['agent'];
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
      if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
        if (settings.outputs.refreshCredentials) throw new ActionError(KEYS_CANNOT_BE_REDONE);
        return environmentKeysSource(
          {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {})
          },
          deps.mask
        );
      }
      if (settings.outputs.refreshCredentials) checkChainStartIsNotOwnProfile(settings, env);
      return runnerIdentitySource(deps);
  }
}

const KEYS_CANNOT_BE_REDONE =
  'Input refresh-credentials cannot redo a role-chaining that starts from keys in the environment ' +
  '(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): later steps get them blanked, and they expire with the session ' +
  'that made them; give the earlier step refresh-credentials too (its profile, named by AWS_PROFILE, then ' +
  "starts the chain), or chain from the runner's own AWS identity";

/** The helper would start its chain from the very profile it serves, and call itself. */
function checkChainStartIsNotOwnProfile(settings: Settings, env: NodeJS.ProcessEnv): void {
  const written = settings.identity.targets[0]?.profile ?? DEFAULT_REFRESH_PROFILE;
  if (env.AWS_PROFILE === written) {
    throw new ActionError(
      `Input refresh-credentials with role-chaining would write the profile ${written} that AWS_PROFILE names as ` +
        'the start of the chain, so its helper would call itself: set aws-profile to another name'
    );
  }
}

/**
 * What the SDK's providers read from the environment to find the runner's own identity.
 * refresh-credentials keeps main's values for the helper, which a tool may start with
 * another environment (or none), so that it redoes the same chain from the same start.
 */
const CHAIN_START_VARIABLES = [
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE',
  'AWS_EC2_METADATA_V1_DISABLED'
] as const;
const KEY_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

/** Main: where the chain started, pinned (the profile files as paths, not via HOME). */
export function chainStartFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  const files = profileFilesFrom(env);
  const pinned: Record<string, string> = {
    AWS_CONFIG_FILE: files.config,
    AWS_SHARED_CREDENTIALS_FILE: files.credentials
  };
  for (const name of CHAIN_START_VARIABLES) if (env[name]) pinned[name] ??= env[name];
  return pinned;
}

/**
 * The helper: the environment main chained from, in place of its own (the SDK's providers
 * read process.env). Keys are removed: the chain never starts from whatever keys the
 * tool that started the helper holds.
 */
export function useChainStart(env: NodeJS.ProcessEnv, chainStart: Record<string, string>): void {
  for (const name of [...CHAIN_START_VARIABLES, ...KEY_VARIABLES]) delete env[name];
  for (const name of CHAIN_START_VARIABLES) if (chainStart[name]) env[name] = chainStart[name];
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
            deadlineSeconds: deps.settings.requests.timeoutSeconds,
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
