import type { Readable } from 'node:stream';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { limitBody, MAX_BODY_BYTES, bodyTooLargeError, timeoutError } from './http-transport.ts';
import { originOf, RequestError } from './request-error.ts';
import { checkStsAnswer } from './sts-answer.ts';
import type { AssumeRoleRequest, IssuedCredentials, SigningCredentials } from './sts-types.ts';

/*
 * The AWS SDK's STS client, loaded only when STS is called (see obtain-credentials.ts).
 * One call each, SDK retries off: retrying is the caller's, by our own rules.
 */

function clientFor(request: AssumeRoleRequest, credentials?: SigningCredentials): STSClient {
  return new STSClient({
    region: request.region,
    ...(request.endpoint ? { endpoint: request.endpoint } : {}),
    // The host is ours to choose (sts-endpoint, or region and variant): the SDK's
    // AWS_ENDPOINT_URL(_STS) and a profile's endpoint_url would send the token elsewhere.
    ignoreConfiguredEndpointUrls: true,
    useFipsEndpoint: request.variant.fips,
    useDualstackEndpoint: request.variant.dualStack,
    ...(credentials ? { credentials } : {}),
    maxAttempts: 1,
    requestHandler: {
      // The whole call is bounded by the abort signal in send(); this only makes an
      // unreachable endpoint fail early enough to retry.
      connectionTimeout: request.connectTimeoutMs,
      ...(request.agent ? { httpAgent: request.agent, httpsAgent: request.agent } : {})
    }
  });
}

/**
 * Run while the token is in flight: the SDK reads the shared config files (~/.aws/config,
 * credentials) and resolves its settings on a client's first call. Asking a throwaway
 * client for those settings now leaves the files read (the SDK keeps them per path) and
 * the code warm, so the real call starts sooner once the token is in.
 */
export async function warmUp(region: string): Promise<void> {
  const client = new STSClient({ region, ignoreConfiguredEndpointUrls: true, maxAttempts: 1 });
  try {
    // Two settings that only read the files: retryMode could, with defaults_mode = auto,
    // ask the instance metadata service, which a failed step should not wait for.
    const { userAgentAppId, authSchemePreference } = client.config;
    const settle = (setting: unknown): unknown =>
      typeof setting === 'function' ? (setting as () => unknown)() : setting;
    await Promise.all([userAgentAppId, authSchemePreference].map(settle));
  } finally {
    client.destroy();
  }
}

const sessionPolicies = (request: AssumeRoleRequest) => ({
  DurationSeconds: request.durationSeconds,
  ...(request.policy ? { Policy: request.policy } : {}),
  ...(request.policyArns.length ? { PolicyArns: request.policyArns.map((arn) => ({ arn })) } : {})
});

/** AssumeRoleWithWebIdentity: unsigned, so no credentials are looked up. */
export function assumeRoleWithWebIdentity(
  request: AssumeRoleRequest,
  webIdentityToken: string
): Promise<IssuedCredentials> {
  return send(
    request,
    clientFor(request),
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: request.role.arn,
      RoleSessionName: request.sessionName,
      WebIdentityToken: webIdentityToken,
      ...sessionPolicies(request)
    })
  );
}

/** AssumeRole signed with credentials already held: role chaining. */
export function assumeRoleWithCredentials(
  request: AssumeRoleRequest,
  credentials: SigningCredentials
): Promise<IssuedCredentials> {
  return send(
    request,
    clientFor(request, credentials),
    new AssumeRoleCommand({
      RoleArn: request.role.arn,
      RoleSessionName: request.sessionName,
      ...sessionPolicies(request),
      ...(request.externalId ? { ExternalId: request.externalId } : {}),
      ...(request.tags.length ? { Tags: request.tags.map(({ key, value }) => ({ Key: key, Value: value })) } : {}),
      ...(request.transitiveTagKeys.length ? { TransitiveTagKeys: request.transitiveTagKeys } : {})
    })
  );
}

/** What the transport saw of one call, whatever error the SDK later wraps it in. */
interface CallRecord {
  endpoint?: string;
  status?: number;
  failure?: RequestError;
}

/**
 * Sits between the SDK's deserializer and its HTTP handler: records where the request
 * went and the status, refuses a declared length over the cap, and caps the body and
 * cuts it off at the deadline while the deserializer reads it.
 */
function watchTransport(client: STSClient, signal: AbortSignal, timeoutMs: number, record: CallRecord): void {
  type Step = (args: { input: object; request: unknown }) => Promise<{ output?: object; response: unknown }>;
  const middleware =
    (next: Step): Step =>
    async (args) => {
      const request = args.request as { protocol?: string; hostname?: string; port?: number };
      record.endpoint = originOf(`${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`);
      const result = await next(args);
      const response = result.response as { statusCode?: number; headers?: Record<string, string>; body?: unknown };
      record.status = response.statusCode;
      // The SDK appends its own text to whatever error reaches it, so the stream and the
      // SDK get a throwaway error and the record keeps a pristine copy.
      const fail = (error: Error & { code: string }): Error => {
        record.failure = failure(record, error);
        return error;
      };
      const body = response.body as Readable | undefined;
      if (body && typeof body.pipe === 'function') {
        if (Number(response.headers?.['content-length']) > MAX_BODY_BYTES) {
          body.destroy();
          throw fail(bodyTooLargeError());
        }
        const limited = limitBody(body, fail);
        const cutOff = (): void => void limited.destroy(fail(timeoutError(timeoutMs)));
        signal.addEventListener('abort', cutOff, { once: true });
        limited.once('close', () => signal.removeEventListener('abort', cutOff));
        response.body = limited;
      }
      return result;
    };
  client.middlewareStack.addRelativeTo(middleware as Parameters<typeof client.middlewareStack.addRelativeTo>[0], {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name: 'oidcAwsCredentialsTransportWatch'
  });
}

/** One call; SDK errors become RequestError, and the client is always released. */
async function send(
  request: AssumeRoleRequest,
  client: STSClient,
  command: AssumeRoleWithWebIdentityCommand | AssumeRoleCommand
): Promise<IssuedCredentials> {
  // Measured now: whatever came before (the token request) has used part of what was left.
  const timeoutMs = Math.max(1, Math.min(request.timeoutMs, request.deadline - request.now()));
  const signal = AbortSignal.timeout(timeoutMs);
  const record: CallRecord = {};
  watchTransport(client, signal, timeoutMs, record);
  let answer;
  try {
    // Both answers carry Credentials and AssumedRoleUser; the SDK types them separately.
    answer = await client.send(command as AssumeRoleCommand, { abortSignal: signal });
  } catch (error) {
    // What the transport saw wins over however the SDK wrapped it.
    if (record.failure) throw record.failure;
    if (signal.aborted) throw failure(record, timeoutError(timeoutMs));
    throw toRequestError(error, record);
  } finally {
    client.destroy();
  }
  if (!answer.Credentials || !answer.AssumedRoleUser) {
    throw failure(record, { name: 'Error', code: 'InvalidResponse', message: 'no Credentials or AssumedRoleUser' });
  }
  return checkStsAnswer(answer, {
    role: request.role,
    sessionName: request.sessionName,
    now: request.now()
  });
}

function failure(record: CallRecord, error: Error & { code: string }): RequestError {
  return new RequestError({
    service: 'sts',
    code: error.code,
    message: error.message,
    httpStatus: record.status,
    endpoint: record.endpoint
  });
}

/** The SDK names modelled errors after their shapes; we classify by STS's wire codes. */
const WIRE_CODES: Record<string, string> = {
  InvalidIdentityTokenException: 'InvalidIdentityToken',
  IDPCommunicationErrorException: 'IDPCommunicationError',
  IDPRejectedClaimException: 'IDPRejectedClaim',
  MalformedPolicyDocumentException: 'MalformedPolicyDocument',
  PackedPolicyTooLargeException: 'PackedPolicyTooLarge'
};

function toRequestError(error: unknown, record: CallRecord): Error {
  if (error instanceof RequestError || !(error instanceof Error) || error.name === 'ActionError') return error as Error;
  const details = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  const status = details.$metadata?.httpStatusCode ?? record.status;
  const facts = { service: 'sts' as const, httpStatus: status, endpoint: record.endpoint };
  // The SDK reports an unparseable body only in its message text (it appends
  // "Deserialization error: …" to whatever the XML parser threw); it sets no code or
  // type for it, so the text is the only signal there is.
  if (/Deserialization error|parse error/i.test(error.message)) {
    return new RequestError({ ...facts, code: 'InvalidResponse', message: 'the body is not STS XML' });
  }
  const code =
    details.code ??
    WIRE_CODES[error.name] ??
    (status === undefined && error.name === 'Error' ? 'NetworkError' : error.name);
  return new RequestError({ ...facts, code, message: error.message });
}
