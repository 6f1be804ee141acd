/*
 * What STS answered is data from outside: it is checked against the shapes AWS
 * documents before anything is masked, exported or written. A malformed answer is
 * refused with one line that names the field and the rule, never the value (it may be
 * a secret, or hostile).
 */
import { isAssumedRoleArnFor, type RoleArn } from './arn.ts';
import { ActionError } from './errors.ts';
import type { IssuedCredentials } from './sts-types.ts';

/** The parts of an AssumeRole* answer we use, as the SDK hands them over. */
export interface StsAnswer {
  Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date };
  AssumedRoleUser?: { Arn?: string };
}

export interface ExpectedSession {
  role: RoleArn;
  sessionName: string;
  /** Epoch ms by the run's clock. */
  now: number;
}

// AWS documents AccessKeyId as [\w]* of 16–128 characters; Ceph RGW's 20 upper-case
// alphanumerics fit the same rule.
const ACCESS_KEY_ID = /^\w{16,128}$/;
// AWS's are 40 base64 characters, RGW's 40 alphanumerics.
const SECRET_ACCESS_KEY = /^[A-Za-z0-9/+=]{16,128}$/;
// Base64 from AWS and RGW alike; AWS promises no length, so allow far above today's ~1-4 KiB.
const SESSION_TOKEN = /^[\x21-\x7e]{16,16384}$/;
/** STS's longest session, plus the difference tolerated between the runner's clock and STS's. */
const LATEST_EXPIRATION_MS = (43200 + 15 * 60) * 1000;

export function checkStsAnswer(answer: StsAnswer, expected: ExpectedSession): IssuedCredentials {
  const { Credentials: credentials, AssumedRoleUser: user } = answer;
  const refuse = (what: string): never => {
    throw new ActionError(
      `STS answered for ${expected.role.arn} with ${what}; the credentials were refused and nothing was exported: ` +
        'check sts-endpoint points at STS (or a proxy is not rewriting its answers)'
    );
  };
  if (!credentials) return refuse('no Credentials');
  const { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken } = credentials;
  if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) {
    refuse('an AccessKeyId that is not 16-128 letters, digits or _');
  }
  if (typeof secretAccessKey !== 'string' || !SECRET_ACCESS_KEY.test(secretAccessKey)) {
    refuse('a SecretAccessKey that is not 16-128 base64 characters');
  }
  if (typeof sessionToken !== 'string' || !SESSION_TOKEN.test(sessionToken)) {
    refuse('a SessionToken that is not 16-16384 printable characters without spaces');
  }
  const expiration = credentials.Expiration;
  const expiresAt = expiration instanceof Date ? expiration.getTime() : NaN;
  if (Number.isNaN(expiresAt)) refuse('no valid Expiration date');
  if (expiresAt <= expected.now) refuse('an Expiration that has already passed (or the runner clock is ahead)');
  if (expiresAt > expected.now + LATEST_EXPIRATION_MS) refuse('an Expiration more than 12 hours away');
  const assumedRoleArn = user?.Arn;
  if (typeof assumedRoleArn !== 'string' || !isAssumedRoleArnFor(assumedRoleArn, expected.role, expected.sessionName)) {
    refuse(
      `an AssumedRoleUser ARN other than arn:${expected.role.partition}:sts::${expected.role.accountId}:` +
        `assumed-role/${expected.role.roleName}/${expected.sessionName}`
    );
  }
  return {
    accessKeyId: accessKeyId!,
    secretAccessKey: secretAccessKey!,
    sessionToken: sessionToken!,
    expiration: expiration!,
    assumedRoleArn: assumedRoleArn!,
    accountId: expected.role.accountId
  };
}
