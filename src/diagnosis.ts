/*
 * Turns a failed token request or STS call into the one error line the user reads,
 * plus, where it helps, lines printed before it (the token's claims, a trust-policy
 * Condition to paste). Pure: no I/O, and never the token itself.
 */
import { ActionError } from './errors.ts';
import { neutralise } from './external-text.ts';
import { isVerificationKeyFailure } from './failure-class.ts';
import { GITHUB_COM_ISSUER, isGithubComIssuer, issuerKey } from './issuer.ts';
import { RequestError } from './request-error.ts';
import type { RoleTarget, SessionRequest, TransportSettings } from './settings.ts';

export function describeOidcFailure(error: unknown, attempts: number): Error {
  if (!(error instanceof RequestError)) return asError(error);
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  const status = error.httpStatus;
  if (status === 401 || status === 403) {
    return new ActionError(
      `GitHub's OIDC token service refused the job's request with HTTP ${status}${tries}: check the job has ` +
        `"permissions: id-token: write" and re-run it`
    );
  }
  if (status !== undefined && status >= 500) {
    return new ActionError(
      `GitHub's OIDC token service failed with HTTP ${status}${tries}: GitHub has a problem; re-run the job later`
    );
  }
  if (status !== undefined && error.code.startsWith('HTTP_')) {
    return new ActionError(
      `GitHub's OIDC token service answered HTTP ${status}${tries}: ACTIONS_ID_TOKEN_REQUEST_URL may be wrong; do not set it by hand`
    );
  }
  if (status !== undefined)
    return new ActionError(
      `GitHub's OIDC token service answered with ${neutralise(error.message)}: re-run the job; ` +
        "if it persists, GitHub's token service is at fault"
    );
  return new ActionError(
    `Could not reach GitHub's OIDC token service: ${neutralise(error.message)}${tries}: check the runner's network and proxy settings`
  );
}

/** What a failed STS call is explained with. */
export interface StsFailureContext {
  target: RoleTarget;
  /** Prefix the line with the profile: several roles were assumed in one step. */
  nameProfile: boolean;
  audience: string;
  session: SessionRequest;
  transport: TransportSettings;
  attempts: number;
}

/** AssumeRoleWithWebIdentity: explained with the token's claims. */
export interface WebIdentityFailureContext extends StsFailureContext {
  claims: Record<string, unknown>;
}

/** AssumeRole signed with credentials already held: `from` names where they came from. */
export interface ChainingFailureContext extends StsFailureContext {
  from: string;
}

const CLAIMS_SHOWN = ['sub', 'aud', 'iss', 'repository', 'ref', 'environment', 'event_name', 'job_workflow_ref'];

export function describeWebIdentityFailure(error: unknown, context: WebIdentityFailureContext): Error {
  return describeWith([...WEB_IDENTITY_RULES, ...COMMON_RULES], 'AssumeRoleWithWebIdentity', error, context);
}

export function describeChainingFailure(error: unknown, context: ChainingFailureContext): Error {
  return describeWith([...CHAINING_RULES, ...COMMON_RULES], 'AssumeRole', error, context);
}

function describeWith<C extends StsFailureContext>(
  rules: FailureRule<C>[],
  call: string,
  error: unknown,
  context: C
): Error {
  if (!(error instanceof RequestError)) return asError(error);
  const facts = factsOf(error, context);
  const rule = rules.find((candidate) => candidate.when(error, context));
  const described = rule
    ? rule.explain(facts)
    : new ActionError(`STS ${call} for ${facts.role} failed${facts.tries}: ${facts.raw}`);
  if (context.nameProfile && context.target.profile) {
    return new ActionError(`Profile "${context.target.profile}": ${described.message}`, described.details);
  }
  return described;
}

/** What the explanations are written from. */
interface FailureFacts<C extends StsFailureContext = StsFailureContext> {
  error: RequestError;
  context: C;
  role: string;
  /** " (HTTP 403)", or '' without a status. */
  status: string;
  /** STS's own message, neutralised: it is text from outside. */
  message: string;
  /** The code, status and STS's own message. */
  raw: string;
  /** " after 3 attempts", or '' after one. */
  tries: string;
}

function factsOf<C extends StsFailureContext>(error: RequestError, context: C): FailureFacts<C> {
  const status = error.httpStatus === undefined ? '' : ` (HTTP ${error.httpStatus})`;
  const message = neutralise(error.message);
  return {
    error,
    context,
    role: context.target.role.arn,
    status,
    message,
    raw: `${neutralise(error.code, 64)}${status}: ${message}`,
    tries: context.attempts > 1 ? ` after ${context.attempts} attempts` : ''
  };
}

interface FailureRule<C extends StsFailureContext = StsFailureContext> {
  when(error: RequestError, context: C): boolean;
  explain(facts: FailureFacts<C>): ActionError;
}

const isAccessDenied = (error: RequestError): boolean =>
  error.code === 'AccessDenied' ||
  error.code === 'IDPRejectedClaim' ||
  (error.httpStatus === 403 && error.code !== 'RegionDisabledException');

/*
 * First match wins. Some rules match STS's message text: STS reports these cases under
 * a generic code (InvalidIdentityToken, ValidationError), and the message is the only
 * signal that tells them apart.
 */
const WEB_IDENTITY_RULES: FailureRule<WebIdentityFailureContext>[] = [
  {
    // STS could not fetch the issuer's keys. GitHub's own issuer recovers (a retried, transient
    // failure); another issuer's keys that stay out of reach are the setup's to fix.
    when: (error, context) => isVerificationKeyFailure(error) && !isGithubComIssuer(context.claims.iss),
    explain: ({ context, tries }) => {
      const iss = claimText(context.claims, 'iss');
      return new ActionError(
        `STS could not retrieve the signing keys of issuer ${iss}${tries}: AWS fetches ` +
          `${iss}/.well-known/openid-configuration and the JWKS at ${iss}/.well-known/jwks from the internet, so ` +
          'both must be reachable from outside your network (see README, GitHub Enterprise)'
      );
    }
  },
  {
    when: isAccessDenied,
    explain: ({ role, raw, context }) =>
      new ActionError(
        `STS refused ${role} for this run: ${raw}. Either the role's trust policy does not admit this token ` +
          '(compare its Condition with the token claims) or no role has this ARN (STS answers the same ' +
          'for both: check the account id and role name)',
        trustPolicyAdvice(context.claims, context.audience, context.target)
      )
  },
  {
    when: (error) => error.code === 'InvalidIdentityToken' && /audience/i.test(error.message),
    explain: ({ context }) =>
      new ActionError(
        `STS: the OIDC provider in the role's account does not list audience "${context.audience}": add it to ` +
          "the provider's audiences, or set input audience to one the provider lists"
      )
  },
  {
    when: (error) => error.code === 'InvalidIdentityToken' && /No OpenIDConnect provider found/i.test(error.message),
    explain: ({ context }) =>
      new ActionError(
        `STS: the role's account has no OIDC provider for ${claimText(context.claims, 'iss') || "GitHub's issuer"}: ` +
          `create one with that URL and audience "${context.audience}" (IAM > Identity providers), ` +
          'see README Quick start'
      )
  },
  {
    when: (error) => error.code === 'ExpiredTokenException' || error.code === 'ExpiredToken',
    explain: ({ tries }) =>
      new ActionError(
        `STS found the OIDC token expired${tries}, although a fresh token was fetched for each attempt: ` +
          "check the runner's clock (tokens live about 5 minutes)"
      )
  }
];

const CHAINING_RULES: FailureRule<ChainingFailureContext>[] = [
  {
    when: (error) => isAccessDenied(error) && /sts:TagSession/.test(error.message),
    explain: ({ role, raw, context }) =>
      new ActionError(
        `STS refused to chain to ${role} from ${context.from}: ${raw}: this action tags the session (as ` +
          "configure-aws-credentials does), so the role's trust policy must also allow sts:TagSession; " +
          'or set role-skip-session-tagging: true'
      )
  },
  {
    when: isAccessDenied,
    explain: ({ role, raw, context }) => {
      const externalId = context.session.externalId ? ', with the sts:ExternalId given in role-external-id' : '';
      return new ActionError(
        `STS refused to chain to ${role} from ${context.from}: ${raw}: the role's trust policy must allow ` +
          `sts:AssumeRole for that identity${externalId}`
      );
    }
  },
  {
    when: (error) => /1 hour session limit|role chaining/i.test(error.message),
    explain: ({ context }) =>
      new ActionError(
        `Input role-duration-seconds ${context.session.durationSeconds} is above what role chaining allows: ` +
          'AWS caps chained sessions at 1 hour; set 3600 or less'
      )
  },
  {
    when: (error) => ['InvalidClientTokenId', 'ExpiredToken', 'SignatureDoesNotMatch'].includes(error.code),
    explain: ({ raw, context }) =>
      new ActionError(`STS did not accept the credentials from ${context.from}: ${raw}: they are wrong or expired`)
  }
];

/** Failures that read the same whatever proved the identity. */
const COMMON_RULES: FailureRule[] = [
  {
    when: (error) => /DurationSeconds exceeds the MaxSessionDuration/i.test(error.message),
    explain: ({ role, context }) =>
      new ActionError(
        `Input role-duration-seconds ${context.session.durationSeconds} is above the maximum session duration ` +
          `of ${role}: lower role-duration-seconds, or raise the role's "Maximum session duration" in IAM`
      )
  },
  {
    when: (error) => error.code === 'RegionDisabledException',
    explain: ({ context }) =>
      new ActionError(
        `STS is not activated in ${context.transport.region} for the role's account: activate the region ` +
          '(IAM > Account settings > STS endpoints) or set aws-region to an active one'
      )
  },
  {
    when: (error) => error.code === 'MalformedPolicyDocument',
    explain: ({ message }) =>
      new ActionError(`STS rejected input inline-session-policy: ${message}: fix the policy (valid IAM policy JSON)`)
  },
  {
    when: (error) => error.code === 'PackedPolicyTooLarge',
    explain: ({ message }) =>
      new ActionError(
        'STS: inline-session-policy and managed-session-policies together are too large once packed ' +
          `(${message}): shorten the inline policy or pass fewer managed policies`
      )
  },
  {
    when: (error) => error.code === 'ValidationError',
    explain: ({ role, message }) =>
      new ActionError(
        `STS rejected the request for ${role}: ${message}: check role-to-assume, role-session-name ` +
          'and role-duration-seconds'
      )
  },
  {
    // No HTTP answer at all: name the host, and blame sts-endpoint only when it was given.
    when: (error) => error.httpStatus === undefined && error.code !== 'InvalidResponse',
    explain: ({ error, context, tries }) => {
      const { stsEndpoint, stsHost } = context.transport;
      return new ActionError(
        stsEndpoint
          ? `Could not reach STS at sts-endpoint ${stsEndpoint}: ${error.code}${tries}: check sts-endpoint and the ` +
              "runner's network"
          : `Could not reach STS at ${stsHost}: ${error.code}${tries}: check the runner's network and proxy ` +
              'settings (a runner without IPv4 needs use-dualstack-endpoint: true)'
      );
    }
  },
  {
    when: (error) => error.code === 'Unknown' && error.httpStatus !== undefined && error.httpStatus >= 500,
    explain: ({ error, tries }) =>
      new ActionError(
        `STS (or a proxy in front of it) failed with HTTP ${error.httpStatus}${tries}: re-run the job later`
      )
  },
  {
    when: (error) => error.code === 'InvalidResponse',
    explain: ({ status }) =>
      new ActionError(
        `STS answered with something that is not an STS response${status}: check sts-endpoint points at STS; ` +
          're-run if it persists'
      )
  }
];

/** The explanation printed before an AccessDenied: claims, the sub form, ready-to-paste Conditions. */
export function trustPolicyAdvice(claims: Record<string, unknown>, audience: string, target: RoleTarget): string[] {
  const text = (name: string): string => claimText(claims, name);
  const sub = text('sub');
  const aud = Array.isArray(claims.aud)
    ? claims.aud.map((item) => neutralise(item)).join(', ')
    : text('aud') || audience;
  const key = issuerKey(text('iss') || GITHUB_COM_ISSUER);
  const repository = text('repository');
  const subRepository = /^repo:([^:]+):/.exec(sub)?.[1] ?? repository;
  const lines = ["The token's claims (the token itself is never printed):"];
  for (const name of CLAIMS_SHOWN) lines.push(`  ${name}: ${name === 'aud' ? aud : text(name) || '(none)'}`);
  lines.push(`sub form: ${subFormReason(claims)}`);
  lines.push(
    `A trust-policy Condition that admits exactly this run (Federated principal: ` +
      `arn:${target.role.partition}:iam::${target.role.accountId || 'ACCOUNT_ID'}:oidc-provider/${key}):`
  );
  lines.push(
    ...indent(JSON.stringify({ Condition: { StringEquals: { [`${key}:aud`]: aud, [`${key}:sub`]: sub } } }, null, 2))
  );
  // Not repo:OWNER/REPO:* — that admits pull requests too, which check-trust flags as a danger.
  lines.push('Or one that admits every branch of the repository (not its pull requests or environments):');
  lines.push(
    ...indent(
      JSON.stringify(
        {
          Condition: {
            StringEquals: { [`${key}:aud`]: aud },
            StringLike: { [`${key}:sub`]: `repo:${subRepository}:ref:refs/heads/*` }
          }
        },
        null,
        2
      )
    )
  );
  lines.push('Usual mismatches:');
  lines.push(`  - owner and repository are case-sensitive in trust policies: this token says "${subRepository}"`);
  lines.push('  - a job with "environment:" gets repo:OWNER/REPO:environment:NAME, not the :ref: form');
  if (subRepository.includes('@')) {
    lines.push(
      `  - this repository uses the immutable form OWNER@ID/REPO@ID ("${subRepository}"): a policy written for OWNER/REPO does not match it`
    );
  } else {
    lines.push(
      '  - repositories created from 2026-07-15 (or opted in) use the immutable form repo:OWNER@ID/REPO@ID:...'
    );
  }
  lines.push(`  - the policy's ${key}:aud must equal the token's aud "${aud}" (input audience)`);
  return lines;
}

/** A string claim, neutralised: a token file or another issuer may put anything in it. */
function claimText(claims: Record<string, unknown>, name: string): string {
  return typeof claims[name] === 'string' ? neutralise(claims[name]) : '';
}

function subFormReason(claims: Record<string, unknown>): string {
  if (claims.environment)
    return (
      `environment: the job runs in environment "${claimText(claims, 'environment')}", ` +
      'so sub ends in :environment:NAME'
    );
  if (claims.event_name === 'pull_request')
    return 'pull_request: the run was triggered by a pull request (and has no environment), so sub ends in :pull_request';
  if (typeof claims.sub === 'string' && /:ref:/.test(claims.sub))
    return `ref: no environment and not a pull request, so sub names the ref (${claimText(claims, 'ref')})`;
  return 'custom: this organisation or repository customises sub (include_claim_keys); match the sub shown above';
}

function indent(json: string): string[] {
  return json.split('\n').map((line) => `  ${line}`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
