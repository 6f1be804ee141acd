import { ActionError } from './errors.ts';
import { PARTITION_IDS } from './partitions.ts';

export interface RoleArn {
  arn: string;
  /** One of the SDK's partitions (PARTITION_IDS). */
  partition: string;
  /** Empty only for STS servers without accounts (e.g. Ceph RGW), see parseRoleArn. */
  accountId: string;
  roleName: string;
}

/** Any role ARN shape; the partition and account id are checked one by one, for a precise error. */
const ROLE_ARN = /^arn:([\w-]+):iam::([^:]*):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;
const POLICY_ARN = /^arn:([\w-]+):iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,128}$/;

/**
 * Parses `role-to-assume`. An ARN without an account id is only meaningful to STS
 * servers that have no accounts, so it is accepted only with a custom `sts-endpoint`.
 */
export function parseRoleArn(value: string, customEndpoint: boolean): RoleArn {
  const match = ROLE_ARN.exec(value);
  if (!match) {
    throw new ActionError(
      `Input role-to-assume "${value}" is not a role ARN: use the full ARN, e.g. arn:aws:iam::123456789012:role/deploy`
    );
  }
  const [, partition = '', accountId = '', , roleName = ''] = match;
  if (!PARTITION_IDS.includes(partition)) {
    throw new ActionError(
      `Input role-to-assume "${value}" names partition "${partition}", which AWS does not have: ` +
        `use one of ${PARTITION_IDS.join(', ')}`
    );
  }
  if (accountId !== '' && !/^\d{12}$/.test(accountId)) {
    const what = /^\d+$/.test(accountId) ? `has ${accountId.length} digits` : 'is not all digits';
    throw new ActionError(
      `Input role-to-assume "${value}": account id ${what}; it must have 12 (copy the ARN from the IAM console)`
    );
  }
  if (!accountId && !customEndpoint) {
    throw new ActionError(
      `Input role-to-assume "${value}" has no 12-digit account id: use arn:${partition}:iam::ACCOUNT_ID:role/${roleName}`
    );
  }
  return { arn: value, partition, accountId, roleName };
}

/**
 * Whether STS's `AssumedRoleUser.Arn` names the session asked for: same partition and
 * account as the role, the role's name and the session name. AWS drops the role's path
 * from it; Ceph RGW keeps it, so either form is accepted.
 */
export function isAssumedRoleArnFor(assumedRoleArn: string, role: RoleArn, sessionName: string): boolean {
  const prefix = `arn:${role.partition}:sts::${role.accountId}:assumed-role/`;
  const rolePathAndName = role.arn.slice(role.arn.indexOf(':role/') + ':role/'.length);
  return [role.roleName, rolePathAndName].some((name) => assumedRoleArn === `${prefix}${name}/${sessionName}`);
}

export function isPolicyArn(value: string): boolean {
  const partition = POLICY_ARN.exec(value)?.[1];
  return partition !== undefined && PARTITION_IDS.includes(partition);
}
