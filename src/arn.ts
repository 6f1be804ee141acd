import { ActionError } from './errors.ts';

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

export interface RoleArn {
  arn: string;
  partition: Partition;
  /** Empty only for STS servers without accounts (e.g. Ceph RGW), see parseRoleArn. */
  accountId: string;
  roleName: string;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12})?:role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;
const ASSUMED_ROLE_ARN = /^arn:[\w-]+:sts::(\d{12})?:assumed-role\/[^/]+\/.+$/;
const POLICY_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,128}$/;

/**
 * Parses `role-to-assume`. An ARN without an account id is only meaningful to STS
 * servers that have no accounts, so it is accepted only with a custom `sts-endpoint`.
 */
export function parseRoleArn(value: string, customEndpoint: boolean): RoleArn {
  const match = ROLE_ARN.exec(value);
  if (!match) {
    throw new ActionError(
      `Input role-to-assume "${value}" is not a role ARN: use the full ARN, e.g. arn:aws:iam::123456789012:role/deploy ` +
        `(partition aws, aws-cn or aws-us-gov)`
    );
  }
  const [, partition, accountId = '', , roleName] = match;
  if (!accountId && !customEndpoint) {
    throw new ActionError(
      `Input role-to-assume "${value}" has no 12-digit account id: use arn:${partition}:iam::ACCOUNT_ID:role/${roleName}`
    );
  }
  return { arn: value, partition: partition as Partition, accountId, roleName: roleName! };
}

/** The account id inside `AssumedRoleUser.Arn`; '' when STS reports none. */
export function accountIdOfAssumedRole(assumedRoleArn: string): string {
  const match = ASSUMED_ROLE_ARN.exec(assumedRoleArn);
  if (!match) throw new ActionError(`STS answered with an unexpected AssumedRoleUser ARN "${assumedRoleArn}"`);
  return match[1] ?? '';
}

export function isPolicyArn(value: string): boolean {
  return POLICY_ARN.test(value);
}
