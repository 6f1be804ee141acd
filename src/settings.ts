import { isPolicyArn, parseRoleArn, type RoleArn } from './arn.ts';
import { ActionError } from './errors.ts';
import { DEFAULT_SESSION_NAME_TEMPLATE, parseSessionNameTemplate, type TemplatePart } from './session-name.ts';

/** Everything the action was asked to do, read and checked once before any network call. */
export interface Settings {
  region: string;
  role: RoleArn;
  audience: string;
  sessionNameTemplate: TemplatePart[];
  durationSeconds: number;
  /** Minified JSON, or undefined when not given. */
  inlineSessionPolicy?: string;
  managedSessionPolicies: string[];
  outputEnvCredentials: boolean;
  outputCredentials: boolean;
  maskAccountId: boolean;
  allowedAccountIds: string[];
  unsetCurrentCredentials: boolean;
  stsEndpoint?: string;
  cleanup: boolean;
  retryMaxAttempts: number;
  disableRetry: boolean;
  actionTimeoutSeconds: number;
  jobSummary: boolean;
}

/** Returns an input's trimmed value, '' when it was not given (as @actions/core's getInput). */
export type InputReader = (name: string) => string;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const MIN_DURATION = 900;
const MAX_DURATION = 43200;
const MAX_POLICY_CHARS = 2048;
const MAX_MANAGED_POLICIES = 10;

/** Inputs of configure-aws-credentials that we refuse on purpose rather than ignore. */
const STATIC_KEY_INPUTS = ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'];

export function readSettings(input: InputReader): Settings {
  for (const name of STATIC_KEY_INPUTS) {
    if (input(name)) {
      throw new ActionError(
        `Input ${name} is not supported: this action never takes stored access keys; remove it and let the role trust GitHub's OIDC provider (see README, Quick start)`
      );
    }
  }
  const stsEndpoint = parseStsEndpoint(input('sts-endpoint'));
  const region = parseRegion(required(input, 'aws-region'));
  const role = parseRoleArn(required(input, 'role-to-assume'), stsEndpoint !== undefined);
  checkPartitionMatchesRegion(role, region);
  const inlineSessionPolicy = parseInlinePolicy(input('inline-session-policy'));
  return {
    region,
    role,
    audience: input('audience') || defaultAudience(region),
    sessionNameTemplate: parseSessionNameTemplate(input('role-session-name') || DEFAULT_SESSION_NAME_TEMPLATE),
    durationSeconds: parseDuration(input('role-duration-seconds')),
    ...(inlineSessionPolicy === undefined ? {} : { inlineSessionPolicy }),
    managedSessionPolicies: parseManagedPolicies(input('managed-session-policies')),
    outputEnvCredentials: parseBoolean(input, 'output-env-credentials', true),
    outputCredentials: parseBoolean(input, 'output-credentials', false),
    maskAccountId: parseBoolean(input, 'mask-aws-account-id', false),
    allowedAccountIds: parseAccountIds(input('allowed-account-ids')),
    unsetCurrentCredentials: parseBoolean(input, 'unset-current-credentials', false),
    ...(stsEndpoint === undefined ? {} : { stsEndpoint }),
    cleanup: parseBoolean(input, 'cleanup', true),
    retryMaxAttempts: parseWholeNumber(input, 'retry-max-attempts', { fallback: 12, min: 1, max: 100 }),
    disableRetry: parseBoolean(input, 'disable-retry', false),
    actionTimeoutSeconds: parseWholeNumber(input, 'action-timeout-s', { fallback: 180, min: 10, max: 3600 }),
    jobSummary: wantsJobSummary(input)
  };
}

/** Read on its own too, so a failure to read the other inputs can still be summarised. */
export function wantsJobSummary(input: InputReader): boolean {
  return parseBoolean(input, 'job-summary', true);
}

function required(input: InputReader, name: string): string {
  const value = input(name);
  if (!value) throw new ActionError(`Input ${name} is required: add it under "with:" in the step`);
  return value;
}

export function parseRegion(value: string): string {
  if (!REGION.test(value)) {
    throw new ActionError(`Input aws-region "${value}" is not an AWS region: use a code such as us-east-1 or eu-west-2`);
  }
  return value;
}

function checkPartitionMatchesRegion(role: RoleArn, region: string): void {
  const expected = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  if (role.partition !== expected) {
    throw new ActionError(
      `Input role-to-assume is in partition ${role.partition} but aws-region ${region} is in ${expected}: use a region of the role's partition or the role's ARN for that partition`
    );
  }
}

/** China's STS expects its own audience; everywhere else GitHub's documented default. */
function defaultAudience(region: string): string {
  return region.startsWith('cn-') ? 'sts.amazonaws.com.cn' : 'sts.amazonaws.com';
}

export function parseDuration(value: string): number {
  if (value === '') return 3600;
  const seconds = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= MIN_DURATION && seconds <= MAX_DURATION)) {
    throw new ActionError(
      `Input role-duration-seconds "${value}" must be a whole number of seconds from ${MIN_DURATION} to ${MAX_DURATION} (and not above the role's maximum session duration)`
    );
  }
  return seconds;
}

function parseWholeNumber(input: InputReader, name: string, range: { fallback: number; min: number; max: number }): number {
  const value = input(name);
  if (value === '') return range.fallback;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= range.min && number <= range.max)) {
    throw new ActionError(`Input ${name} "${value}" must be a whole number from ${range.min} to ${range.max}`);
  }
  return number;
}

export function parseBoolean(input: InputReader, name: string, fallback: boolean): boolean {
  const value = input(name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new ActionError(`Input ${name} "${value}" must be true or false`);
}

function parseInlinePolicy(value: string): string | undefined {
  if (value === '') return undefined;
  let minified: string;
  try {
    minified = JSON.stringify(JSON.parse(value));
  } catch {
    throw new ActionError('Input inline-session-policy is not valid JSON: give an IAM policy document such as {"Version":"2012-10-17","Statement":[...]}');
  }
  if (minified.length > MAX_POLICY_CHARS) {
    throw new ActionError(
      `Input inline-session-policy is ${minified.length} characters without white space; STS takes at most ${MAX_POLICY_CHARS}: shorten it or use managed-session-policies`
    );
  }
  return minified;
}

function parseManagedPolicies(value: string): string[] {
  const arns = value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const bad = arns.find((arn) => !isPolicyArn(arn));
  if (bad !== undefined) {
    throw new ActionError(
      `Input managed-session-policies has "${bad}", which is not a policy ARN: give one ARN a line, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess`
    );
  }
  if (arns.length > MAX_MANAGED_POLICIES) {
    throw new ActionError(`Input managed-session-policies has ${arns.length} ARNs; STS takes at most ${MAX_MANAGED_POLICIES}`);
  }
  return arns;
}

function parseAccountIds(value: string): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const bad = ids.find((id) => !ACCOUNT_ID.test(id));
  if (bad !== undefined) {
    throw new ActionError(`Input allowed-account-ids has "${bad}", which is not a 12-digit account id: give a comma-separated list such as 123456789012,210987654321`);
  }
  return ids;
}

function parseStsEndpoint(value: string): string | undefined {
  if (value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActionError(`Input sts-endpoint "${value}" is not a URL: give one such as https://sts.eu-west-2.amazonaws.com`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ActionError(`Input sts-endpoint "${value}" must use https (plain http is allowed only for a loopback address)`);
  }
  return value;
}
