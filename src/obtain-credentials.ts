import type { CredentialSource } from './credential-sources.ts';
import type { StsFailureContext } from './diagnosis.ts';
import { neutralise } from './external-text.ts';
import { classifyStsFailure, isVerificationKeyFailure, type FailureClass } from './failure-class.ts';
import { isGithubComIssuer } from './issuer.ts';
import { REQUEST_TIMEOUTS, withRetries, type RetryClock, type RetryPolicy } from './retry.ts';
import { RequestError } from './request-error.ts';
import type { RoleTarget, SessionRequest, TransportSettings } from './settings.ts';
import type { SessionTag } from './session-tags.ts';
import type { AssumeRoleRequest, IssuedCredentials } from './sts-types.ts';

export interface ObtainOptions {
  target: RoleTarget;
  sessionName: string;
  session: SessionRequest;
  transport: TransportSettings;
  source: CredentialSource;
  /** The run's session tags (none with role-skip-session-tagging); only AssumeRole carries them. */
  sessionTags: SessionTag[];
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

/** STS failing to fetch another issuer's keys is retried this often, not until the deadline: it rarely heals. */
const UNREACHABLE_ISSUER_ATTEMPTS = 3;

// The AWS SDK is a chunk of its own: run-main starts loading it once the token request
// is out, so it loads while the token is in flight instead of after (npm run bench).
let stsClient: Promise<typeof import('./sts.ts')> | undefined;
export const loadSts = (): Promise<typeof import('./sts.ts')> => (stsClient ??= import('./sts.ts'));

/**
 * One role's credentials: STS retried only for transient failures, with a fresh token
 * when STS says it expired, all within the deadline.
 */
export async function obtainCredentials(options: ObtainOptions): Promise<IssuedCredentials> {
  const { source, session, transport } = options;
  let attempts = 0;
  const classify = (error: unknown): FailureClass => {
    if (!(error instanceof RequestError)) return 'fail';
    const failureClass = classifyStsFailure(error);
    const iss = source.issuer();
    if (iss && isVerificationKeyFailure(error) && !isGithubComIssuer(iss) && attempts >= UNREACHABLE_ISSUER_ATTEMPTS) {
      return 'fail';
    }
    return failureClass;
  };
  try {
    return await withRetries({
      what: `${source.stsCall} (${transport.stsHost})`,
      policy: options.policy,
      deadline: options.deadline,
      clock: options.clock,
      classify,
      describe: (error) => (error instanceof RequestError ? stsFailureSummary(error) : neutralise(error)),
      onNewToken: () => source.renew(),
      log: options.log,
      attempt: async (remainingMs) => {
        const request: AssumeRoleRequest = {
          region: transport.region,
          ...(transport.stsEndpoint ? { endpoint: transport.stsEndpoint } : {}),
          variant: transport.variant,
          role: options.target.role,
          sessionName: options.sessionName,
          durationSeconds: session.durationSeconds,
          ...(session.inlinePolicy ? { policy: session.inlinePolicy } : {}),
          policyArns: session.managedPolicies,
          ...(session.externalId ? { externalId: session.externalId } : {}),
          tags: options.sessionTags,
          transitiveTagKeys: session.transitiveTagKeys,
          connectTimeoutMs: REQUEST_TIMEOUTS.connectMs,
          timeoutMs: REQUEST_TIMEOUTS.responseMs,
          deadline: options.deadline,
          ...(options.agent ? { agent: options.agent } : {}),
          now: () => options.clock.now()
        };
        attempts += 1;
        return source.assume(request, remainingMs, loadSts);
      }
    });
  } catch (error) {
    throw source.explain(error, { ...options.explain, target: options.target, session, transport, attempts });
  }
}

function stsFailureSummary(error: RequestError): string {
  if (error.code === 'Unknown') return `HTTP ${error.httpStatus ?? '?'}`;
  return `${neutralise(error.code, 64)} (${neutralise(error.message)})`;
}
