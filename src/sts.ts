import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { accountIdOfAssumedRole } from './arn.ts';
import { StsCallError } from './sts-call-error.ts';
import type { AssumeRoleRequest, IssuedCredentials } from './sts-types.ts';

/** One AssumeRoleWithWebIdentity call: unsigned, so no credentials are looked up. Retries are the caller's. */
export async function assumeRoleWithWebIdentity(request: AssumeRoleRequest): Promise<IssuedCredentials> {
  const client = new STSClient({
    region: request.region,
    ...(request.endpoint ? { endpoint: request.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: request.connectTimeoutMs, requestTimeout: request.responseTimeoutMs, throwOnRequestTimeout: true }
  });
  let response;
  try {
    response = await client.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: request.roleArn,
        RoleSessionName: request.sessionName,
        WebIdentityToken: request.webIdentityToken,
        DurationSeconds: request.durationSeconds,
        ...(request.policy ? { Policy: request.policy } : {}),
        ...(request.policyArns.length ? { PolicyArns: request.policyArns.map((arn) => ({ arn })) } : {})
      })
    );
  } catch (error) {
    throw toStsCallError(error);
  } finally {
    client.destroy();
  }
  const credentials = response.Credentials;
    const assumedRoleArn = response.AssumedRoleUser?.Arn;
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
  if (error instanceof StsCallError || !(error instanceof Error)) return error as Error;
  const details = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  const status = details.$metadata?.httpStatusCode;
  if (/Deserialization error|parse error/i.test(error.message)) {
    return new StsCallError('InvalidResponse', 'the body is not STS XML', status);
  }
  const code = details.code ?? WIRE_CODES[error.name] ?? (status === undefined && error.name === 'Error' ? 'NetworkError' : error.name);
  return new StsCallError(code, error.message, status);
}
