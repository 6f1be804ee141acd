/** What an STS call needs besides the identity: the role, session and transport. */
export interface AssumeRoleRequest {
  region: string;
  endpoint?: string;
  /** FIPS / dual-stack STS endpoint (never with `endpoint`). */
  variant: { fips: boolean; dualStack: boolean };
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  policy?: string;
  policyArns: string[];
  /** AssumeRole only: AssumeRoleWithWebIdentity takes neither. */
  externalId?: string;
  tags: { key: string; value: string }[];
  transitiveTagKeys: string[];
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** An HTTP(S) agent: through the configured proxy, or with the connection already opening. */
  agent?: unknown;
}

/** Credentials that sign a request (role chaining). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What STS issued, with the account and ARN taken from AssumedRoleUser. */
export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn: string;
  accountId: string;
}
