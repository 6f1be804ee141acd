import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, STSClient, type Credentials } from '@aws-sdk/client-sts';
import { accountIdOfAssumedRole } from './arn.ts';
import { StsCallError } from './sts-call-error.ts';
import type { AssumeRoleRequest, IssuedCredentials, SigningCredentials } from './sts-types.ts';

/*
 * The AWS SDK's STS client, loaded only when STS is called (see obtain-credentials.ts).
 * One call each, SDK retries off: retrying is the caller's, by our own rules.
 */

function clientFor(request: AssumeRoleRequest, credentials?: SigningCredentials): STSClient {
  return new STSClient({
    region: request.region,
    ...(request.endpoint ? { endpoint: request.endpoint } : {}),
    useFipsEndpoint: request.variant.fips,
    useDualstackEndpoint: request.variant.dualStack,
    ...(credentials ? { credentials } : {}),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: request.connectTimeoutMs,
      requestTimeout: request.responseTimeoutMs,
      throwOnRequestTimeout: true,
      ...(request.agent ? { httpAgent: request.agent as HttpAgent, httpsAgent: request.agent as HttpsAgent } : {})
    }
  });
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
    clientFor(request),
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: request.roleArn,
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
    clientFor(request, credentials),
    new AssumeRoleCommand({
      RoleArn: request.roleArn,
      RoleSessionName: request.sessionName,
      ...sessionPolicies(request),
      ...(request.externalId ? { ExternalId: request.externalId } : {}),
      ...(request.tags.length ? { Tags: request.tags.map(({ key, value }) => ({ Key: key, Value: value })) } : {}),
      ...(request.transitiveTagKeys.length ? { TransitiveTagKeys: request.transitiveTagKeys } : {})
    })
  );
}

/** One call; SDK errors become StsCallError, and the client is always released. */
async function send(
  client: STSClient,
  command: AssumeRoleWithWebIdentityCommand | AssumeRoleCommand
): Promise<IssuedCredentials> {
  try {
    // Both answers carry Credentials and AssumedRoleUser; the SDK types them separately.
    const response = await client.send(command as AssumeRoleCommand);
    return issued(response.Credentials, response.AssumedRoleUser?.Arn);
  } catch (error) {
    throw toStsCallError(error);
  } finally {
    client.destroy();
  }
}

function issued(credentials: Credentials | undefined, assumedRoleArn: string | undefined): IssuedCredentials {
  if (
    !credentials?.AccessKeyId ||
    !credentials.SecretAccessKey ||
    !credentials.SessionToken ||
    !credentials.Expiration ||
    !assumedRoleArn
  ) {
    throw new StsCallError('InvalidResponse', 'STS answered without credentials or AssumedRoleUser', 200);
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
    assumedRoleArn,
    accountId: accountIdOfAssumedRole(assumedRoleArn)
  };
}

/** The SDK names modelled errors after their shapes; we classify by STS's wire codes. */
const WIRE_CODES: Record<string, string> = {
  InvalidIdentityTokenException: 'InvalidIdentityToken',
  IDPCommunicationErrorException: 'IDPCommunicationError',
  IDPRejectedClaimException: 'IDPRejectedClaim',
  MalformedPolicyDocumentException: 'MalformedPolicyDocument',
  PackedPolicyTooLargeException: 'PackedPolicyTooLarge'
};

function toStsCallError(error: unknown): Error {
  if (error instanceof StsCallError || !(error instanceof Error) || error.name === 'ActionError') return error as Error;
  const details = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  const status = details.$metadata?.httpStatusCode;
  if (/Deserialization error|parse error/i.test(error.message)) {
    return new StsCallError('InvalidResponse', 'the body is not STS XML', status);
  }
  const code =
    details.code ??
    WIRE_CODES[error.name] ??
    (status === undefined && error.name === 'Error' ? 'NetworkError' : error.name);
  return new StsCallError(code, error.message, status);
}
