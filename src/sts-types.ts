import type { Agent } from 'node:http';
import type { RoleArn } from './arn.ts';

/** What an STS call needs besides the identity: the role, session and transport. */
export interface AssumeRoleRequest {
  region: string;
  endpoint?: string;
  /** FIPS / dual-stack STS endpoint (never with `endpoint`). */
  variant: { fips: boolean; dualStack: boolean };
  role: RoleArn;
  sessionName: string;
  durationSeconds: number;
  policy?: string;
  policyArns: string[];
  /** AssumeRole only: AssumeRoleWithWebIdentity takes neither. */
  externalId?: string;
  tags: { key: string; value: string }[];
  transitiveTagKeys: string[];
  connectTimeoutMs: number;
  /** The whole call, from connecting to the last byte of the answer, ends within this… */
  timeoutMs: number;
  /** …and by this epoch ms (action-timeout-s), whichever comes first. */
  deadline: number;
  /** An HTTP(S) agent: through the configured proxy, or with the connection already opening. */
  agent?: Agent;
  /** Epoch ms now, by the run's clock: the answer's Expiration is checked against it. */
  now(): number;
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
