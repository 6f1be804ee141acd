export interface AssumeRoleRequest {
  region: string;
  endpoint?: string;
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  webIdentityToken: string;
  policy?: string;
  policyArns: string[];
  connectTimeoutMs: number;
  responseTimeoutMs: number;
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
