/*
 * The runner's own AWS identity, for role chaining when no keys are in the environment:
 * self-hosted runners inside AWS. Looked for in the order of the AWS SDK's default chain
 * (after its environment keys): a named profile, IRSA, container credentials (ECS,
 * CodeBuild, EKS Pod Identity), the EC2 instance profile. The first one configured is
 * the one used, so the log can say which; the instance metadata service is asked only
 * when nothing else is configured. Loaded on this path only (a separate chunk): the
 * SDK's providers never weigh on the OIDC path.
 */
import { globalAgent, type Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { fromHttp, fromIni, fromInstanceMetadata, fromTokenFile } from '@aws-sdk/credential-providers';
import { ActionError } from './errors.ts';
import type { SigningCredentials } from './sts-types.ts';

interface RunnerCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RunnerIdentityOptions {
  env: NodeJS.ProcessEnv;
  region: string;
  /** sts-endpoint: IRSA's AssumeRoleWithWebIdentity goes there too. */
  stsEndpoint?: string;
  /** Per request: each provider's own timeout. */
  requestTimeoutMs: number;
  /** What is left before action-timeout-s: the whole search is raced against it. */
  remainingMs: number;
  /** action-timeout-s, for the error when the search outlives it. */
  deadlineSeconds: number;
  /** The proxy agent, when a proxy applies: an http.Agent the SDK takes for both schemes. */
  agent?: HttpAgent;
  /** Announces a secret to the runner's masker. */
  mask(secret: string): void;
}

export interface FoundIdentity {
  /** Which source answered, for the log: "the EC2 instance profile (instance metadata service)". */
  source: string;
  credentials: SigningCredentials;
}

/** One place the SDK can find the runner's credentials, when its variables are set. */
interface Candidate {
  source: string;
  /** How to make this source work, for the error when it does not. */
  fix: string;
  load(): Promise<RunnerCredentials>;
}

const PROFILE_NAME = /^[\w.+-]{1,64}$/;
/** The instance and container endpoints are on the host's link-local network: they answer fast or not at all. */
const LINK_LOCAL_TIMEOUT_MS = 2000;

function candidatesFrom(options: RunnerIdentityOptions): Candidate[] {
  const { env, requestTimeoutMs: timeout } = options;
  const linkLocal = {
    timeout: Math.max(1, Math.min(LINK_LOCAL_TIMEOUT_MS, timeout, options.remainingMs)),
    maxRetries: 1
  };
  const clientConfig = {
    region: options.region,
    ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}),
    requestHandler: {
      connectionTimeout: timeout,
      requestTimeout: timeout,
      ...(options.agent ? { httpAgent: options.agent, httpsAgent: options.agent as HttpsAgent } : {})
    }
  };
  const candidates: Candidate[] = [];
  if (env.AWS_PROFILE) {
    const name = PROFILE_NAME.test(env.AWS_PROFILE) ? `"${env.AWS_PROFILE}"` : '(name not shown)';
    candidates.push({
      source: `the AWS profile ${name} (AWS_PROFILE)`,
      fix: 'check that profile in ~/.aws/config and ~/.aws/credentials, or unset AWS_PROFILE',
      load: () => fromIni({ profile: env.AWS_PROFILE!, clientConfig })()
    });
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    candidates.push({
      source: "the pod's service-account role (IRSA: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)",
      fix: "check the service account's eks.amazonaws.com/role-arn and that role's trust in the cluster's OIDC provider",
      load: () => fromTokenFile({ clientConfig })()
    });
  }
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) {
    const podIdentity = Boolean(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE || env.AWS_CONTAINER_AUTHORIZATION_TOKEN);
    candidates.push({
      source: podIdentity
        ? 'EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)'
        : 'the container credentials of ECS or CodeBuild (AWS_CONTAINER_CREDENTIALS_…_URI)',
      fix: podIdentity
        ? "check the pod's Pod Identity association and that the eks-pod-identity-agent runs"
        : 'check that the task (or build project) has a role',
      load: () => fromHttp(linkLocal)()
    });
  }
  if (candidates.length === 0 && !/^true$/i.test(env.AWS_EC2_METADATA_DISABLED ?? '')) {
    candidates.push({
      source: 'the EC2 instance profile (instance metadata service)',
      fix: 'attach an instance profile to the runner instance (in a container on it, allow IMDSv2 with hop limit 2)',
      load: () => fromInstanceMetadata(linkLocal)()
    });
  }
  return candidates;
}

const NOTHING_CONFIGURED =
  'Input role-chaining found no AWS credentials: no keys in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), ' +
  'no AWS_PROFILE, no IRSA token file (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN), no container credentials ' +
  '(AWS_CONTAINER_CREDENTIALS_FULL_URI or …_RELATIVE_URI)';
const HOW_TO_PROVIDE =
  'use this action once earlier in the job without role-chaining, or run the job on a runner with an AWS role ' +
  '(EC2 instance profile, ECS or CodeBuild task role, EKS Pod Identity or IRSA)';

/** Resolves the runner's identity once; every secret is masked before this returns. */
export async function findRunnerIdentity(options: RunnerIdentityOptions): Promise<FoundIdentity> {
  const [candidate] = candidatesFrom(options);
  if (!candidate) {
    throw new ActionError(
      `${NOTHING_CONFIGURED}, and the instance metadata service is off (AWS_EC2_METADATA_DISABLED): ${HOW_TO_PROVIDE}`
    );
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlinePassed()), Math.max(1, options.remainingMs));
  });
  let credentials: RunnerCredentials;
  try {
    credentials = await Promise.race([candidate.load(), deadline]);
  } catch (error) {
    if (error instanceof DeadlinePassed) {
      // The instance metadata requests go through Node's global agent and take no abort
      // signal: ending its sockets stops a service that never finishes its answer, so the
      // step exits now rather than whenever that service lets go.
      globalAgent.destroy();
      throw new ActionError(
        `Input role-chaining: ${candidate.source} had not answered when action-timeout-s ` +
          `(${options.deadlineSeconds} s) ran out: ${candidate.fix}, or raise action-timeout-s`
      );
    }
    const why = failureCode(error);
    if (candidate.source.startsWith('the EC2 instance profile')) {
      throw new ActionError(
        `${NOTHING_CONFIGURED}, and the instance metadata service gave none (${why}): ${HOW_TO_PROVIDE}`
      );
    }
    throw new ActionError(`Input role-chaining: ${candidate.source} gave no credentials (${why}): ${candidate.fix}`);
  } finally {
    clearTimeout(timer);
  }
  options.mask(credentials.accessKeyId);
  options.mask(credentials.secretAccessKey);
  if (credentials.sessionToken) options.mask(credentials.sessionToken);
  return {
    source: candidate.source,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {})
    }
  };
}

class DeadlinePassed extends Error {}

/**
 * A provider's failure in fixed words: an HTTP status, a system error code or an STS
 * error name. Its message is the SDK's (and the service's) text, so it is not shown.
 */
function failureCode(error: unknown): string {
  const details = (error ?? {}) as { name?: unknown; code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof details.statusCode === 'number') return `HTTP ${details.statusCode}`;
  if (typeof details.code === 'string' && /^E[A-Z]{2,20}$/.test(details.code)) return details.code;
  const status = typeof details.message === 'string' ? /status: (\d{3})\b/.exec(details.message)?.[1] : undefined;
  if (status) return `HTTP ${status}`;
  const name = typeof details.name === 'string' ? details.name : '';
  if (/^\w{2,64}$/.test(name) && !/^(Error|CredentialsProviderError|ProviderError|TypeError)$/.test(name)) {
    return name;
  }
  if (typeof details.message === 'string' && /timeout|timed out/i.test(details.message)) return 'timed out';
  return 'no credentials';
}
