import { describeStsFailure, type StsFailureContext } from './diagnosis.ts';
import { neutralise } from './external-text.ts';
import { classifyStsFailure } from './failure-class.ts';
import { REQUEST_TIMEOUTS, withinRemaining, withRetries, type RetryClock, type RetryPolicy } from './retry.ts';
import type { RoleTarget, SessionRequest, TransportSettings } from './settings.ts';
import { StsCallError } from './sts-call-error.ts';
import type { AssumeRoleRequest, IssuedCredentials, SigningCredentials } from './sts-types.ts';
import type { TokenProvider } from './web-identity-token.ts';

/** How this run proves who it is to STS. */
export type Identity =
  { kind: 'web-identity'; tokens: TokenProvider } | { kind: 'role-chaining'; credentials: SigningCredentials };

export interface ObtainOptions {
  target: RoleTarget;
  sessionName: string;
  session: SessionRequest;
  transport: TransportSettings;
  identity: Identity;
  policy: RetryPolicy;
  /** Epoch ms after which no new attempt starts (action-timeout-s, shared by all roles). */
  deadline: number;
  /** The agent for STS: the proxy's, or one whose connection is already opening. */
  agent?: AssumeRoleRequest['agent'];
  /** What a failure is explained with, besides the error itself. */
  explain: Pick<StsFailureContext, 'audience' | 'nameProfile'>;
  log(line: string): void;
  clock: RetryClock;
}

// The AWS SDK is a chunk of its own: run-main starts loading it once the token request
// is out, so it loads while the token is in flight instead of after (npm run bench).
let stsClient: Promise<typeof import('./sts.ts')> | undefined;
export const loadSts = (): Promise<typeof import('./sts.ts')> => (stsClient ??= import('./sts.ts'));

/**
 * One role's credentials: STS retried only for transient failures, with a fresh token
 * when STS says it expired, all within the deadline.
 */
export async function obtainCredentials(options: ObtainOptions): Promise<IssuedCredentials> {
  const { identity, session, transport } = options;
  let attempts = 0;
  try {
    return await withRetries({
      what: identity.kind === 'role-chaining' ? 'STS AssumeRole' : 'STS AssumeRoleWithWebIdentity',
      policy: options.policy,
      deadline: options.deadline,
      clock: options.clock,
      classify: (error) => (error instanceof StsCallError ? classifyStsFailure(error) : 'fail'),
      describe: (error) => (error instanceof StsCallError ? stsFailureSummary(error) : neutralise(error)),
      onNewToken: () => (identity.kind === 'web-identity' ? identity.tokens.invalidate() : undefined),
      log: options.log,
      attempt: async (remainingMs) => {
        const token = identity.kind === 'web-identity' ? await identity.tokens.current(remainingMs) : undefined;
        const sts = await loadSts();
        const request: AssumeRoleRequest = {
          region: transport.region,
          ...(transport.stsEndpoint ? { endpoint: transport.stsEndpoint } : {}),
          roleArn: options.target.role.arn,
          sessionName: options.sessionName,
          durationSeconds: session.durationSeconds,
          ...(session.inlinePolicy ? { policy: session.inlinePolicy } : {}),
          policyArns: session.managedPolicies,
          connectTimeoutMs: withinRemaining(REQUEST_TIMEOUTS.connectMs, remainingMs),
          responseTimeoutMs: withinRemaining(REQUEST_TIMEOUTS.responseMs, remainingMs),
          ...(options.agent ? { agent: options.agent } : {})
        };
        attempts += 1;
        return identity.kind === 'role-chaining'
          ? sts.assumeRoleWithCredentials(request, identity.credentials)
          : sts.assumeRoleWithWebIdentity(request, token!);
      }
    });
  } catch (error) {
    throw describeStsFailure(error, {
      ...options.explain,
      target: options.target,
      session,
      transport,
      chaining: identity.kind === 'role-chaining',
      claims: identity.kind === 'web-identity' ? identity.tokens.claims() : {},
      attempts
    });
  }
}

function stsFailureSummary(error: StsCallError): string {
  if (error.code === 'Unknown') return `HTTP ${error.httpStatus ?? '?'}`;
  return `${neutralise(error.code, 64)} (${neutralise(error.message)})`;
}
