/*
 * Every input, read and checked once before any network call, into one Settings record
 * grouped by who uses it. Only run-main.ts sees the whole record; every other module
 * gets the group it needs.
 */
import { isPolicyArn, parseRoleArn, type RoleArn } from './arn.ts';
import { ActionError } from './errors.ts';
import { booleanInput, listInput, required, wholeNumberInput, type InputReader } from './inputs.ts';
import {
  checkVariantSupported,
  defaultAudience,
  isAwsStsHost,
  resolveRegion,
  stsHost,
  type EndpointVariant,
  type PartitionData
} from './partitions.ts';
import { DEFAULT_SESSION_NAME_TEMPLATE, parseSessionNameTemplate, type TemplatePart } from './session-name.ts';
import { parseExternalId, parseTransitiveTagKeys } from './session-tags.ts';

export type { InputReader } from './inputs.ts';

/** A role to assume, and the AWS profile to write its credentials to (if any). */
export interface RoleTarget {
  role: RoleArn;
  profile?: string;
}

/** Where the credentials for STS come from. */
export type CredentialSource = 'github-oidc' | 'token-file' | 'role-chaining';

/** Who the action proves it is, and what it asks STS for. */
export interface IdentitySettings {
  /** Every role to assume: one, or one per profile with role-profiles. */
  targets: RoleTarget[];
  source: CredentialSource;
  /** As given; relative paths are resolved against the workspace where it is read. */
  webIdentityTokenFile?: string;
  audience: string;
  sessionNameTemplate: TemplatePart[];
  /** What each AssumeRole* request carries besides the role and session name. */
  session: SessionRequest;
}

export interface SessionRequest {
  durationSeconds: number;
  /** Minified JSON, or undefined when not given. */
  inlinePolicy?: string;
  managedPolicies: string[];
  /** role-external-id: sent with AssumeRole; AssumeRoleWithWebIdentity takes none. */
  externalId?: string;
  /** Whether AssumeRole carries the run's session tags (role-skip-session-tagging turns them off). */
  sessionTagging: boolean;
  transitiveTagKeys: string[];
}

/** How hard to try: attempts for transient failures, and the overall deadline. */
export interface RequestSettings {
  maxAttempts: number;
  timeoutSeconds: number;
}

/** How requests reach the services. */
export interface TransportSettings {
  region: string;
  /** The region's partition: aws, aws-cn, aws-us-gov, aws-iso, ... */
  partition: string;
  stsEndpoint?: string;
  /** FIPS and dual-stack STS endpoints; both false with sts-endpoint, which names the host itself. */
  variant: EndpointVariant;
  /** The host STS requests go to: sts-endpoint's, or the one the SDK resolves for region and variant. */
  stsHost: string;
  httpProxy?: string;
  noProxy?: string;
}

/** What the action leaves for later steps and the reader, and what it checks first. */
export interface OutputSettings {
  region: string;
  envCredentials: boolean;
  stepCredentials: boolean;
  maskAccountId: boolean;
  allowedAccountIds: string[];
  unsetCurrentCredentials: boolean;
  overwriteAwsProfile: boolean;
  /** Later steps get a profile whose credential_process fetches fresh credentials, not static keys. */
  refreshCredentials: boolean;
  cleanup: boolean;
  jobSummary: boolean;
}

export interface Settings {
  identity: IdentitySettings;
  requests: RequestSettings;
  transport: TransportSettings;
  outputs: OutputSettings;
}

const ACCOUNT_ID = /^\d{12}$/;
const MAX_POLICY_CHARS = 2048;
const MAX_MANAGED_POLICIES = 10;
// Not __proto__: the JavaScript SDK refuses a config file with that profile, failing every later AWS step.
const PROFILE_NAME = /^(?!__proto__$)[\w.+-]{1,64}$/;
const ROLE_CHAINING_MAX_DURATION = 3600;

/** Inputs of configure-aws-credentials that we refuse on purpose rather than ignore. */
const STATIC_KEY_INPUTS = ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'];

/**
 * `env` is the job's environment, for the SDK variables that also choose STS's endpoint
 * (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT); an input overrides them.
 */
export function readSettings(input: InputReader, env: NodeJS.ProcessEnv = {}): Settings {
  for (const name of STATIC_KEY_INPUTS) {
    if (input(name)) {
      throw new ActionError(
        `Input ${name} is not supported: this action never takes stored access keys; remove it and let the role ` +
          "trust GitHub's OIDC provider (see README, Quick start)"
      );
    }
  }
  const stsEndpoint = parseStsEndpoint(input('sts-endpoint'));
  const region = required(input, 'aws-region');
  const partition = resolveRegion(region, stsEndpoint !== undefined);
  const variant = readEndpointVariant(input, env, stsEndpoint);
  checkVariantSupported(partition, region, variant);
  const targets = readTargets(input, stsEndpoint !== undefined);
  for (const target of targets) checkPartitionMatchesRegion(target.role, region, partition);
  const skipSessionTagging = booleanInput(input, 'role-skip-session-tagging', false);
  const session: SessionRequest = {
    durationSeconds: wholeNumberInput(input, 'role-duration-seconds', {
      fallback: 3600,
      min: 900,
      max: 43200,
      unit: 'of seconds',
      hint: " (and not above the role's maximum session duration)"
    }),
    ...optional('inlinePolicy', parseInlinePolicy(input('inline-session-policy'))),
    managedPolicies: parseManagedPolicies(listInput(input, 'managed-session-policies')),
    ...optional('externalId', parseExternalId(input('role-external-id'))),
    sessionTagging: !skipSessionTagging,
    transitiveTagKeys: parseTransitiveTagKeys(input('transitive-tag-keys'), skipSessionTagging)
  };
  const webIdentityTokenFile = input('web-identity-token-file');
  const source = readCredentialSource(input, webIdentityTokenFile, targets, session.durationSeconds);
  const httpProxy = parseProxyUrl(input('http-proxy'));
  // With profiles, later steps pick credentials by profile, so the environment is left alone by default.
  const writesProfiles = targets.some((target) => target.profile !== undefined);
  const refreshCredentials = readRefreshCredentials(input);
  const envCredentials = booleanInput(input, 'output-env-credentials', !writesProfiles && !refreshCredentials);
  if (refreshCredentials && envCredentials) {
    throw new ActionError(
      'Input output-env-credentials cannot be true with refresh-credentials: keys in the environment would win ' +
        'over the refreshing profile in every AWS tool and expire; remove output-env-credentials'
    );
  }
  if (targets.length > 1 && envCredentials) {
    throw new ActionError(
      'Input output-env-credentials cannot be true with role-profiles: the environment holds one set of ' +
        'credentials; use the profiles (AWS_PROFILE or --profile)'
    );
  }
  const audience = input('audience') || defaultAudience(partition);
  if (stsEndpoint !== undefined) checkEndpointAudience(stsEndpoint, audience, source);
  return {
    identity: {
      targets,
      source,
      ...optional('webIdentityTokenFile', webIdentityTokenFile || undefined),
      audience,
      sessionNameTemplate: parseSessionNameTemplate(input('role-session-name') || DEFAULT_SESSION_NAME_TEMPLATE),
      session
    },
    requests: {
      maxAttempts: booleanInput(input, 'disable-retry', false)
        ? 1
        : wholeNumberInput(input, 'retry-max-attempts', { fallback: 12, min: 1, max: 100 }),
      timeoutSeconds: wholeNumberInput(input, 'action-timeout-s', { fallback: 180, min: 10, max: 3600 })
    },
    transport: {
      region,
      partition: partition.id,
      ...optional('stsEndpoint', stsEndpoint),
      variant,
      stsHost: stsEndpoint ? new URL(stsEndpoint).host : stsHost(region, partition, variant),
      ...optional('httpProxy', httpProxy),
      ...optional('noProxy', input('no-proxy') || undefined)
    },
    outputs: {
      region,
      envCredentials,
      stepCredentials: booleanInput(input, 'output-credentials', false),
      maskAccountId: booleanInput(input, 'mask-aws-account-id', false),
      allowedAccountIds: parseAccountIds(listInput(input, 'allowed-account-ids', ',')),
      unsetCurrentCredentials: booleanInput(input, 'unset-current-credentials', false),
      overwriteAwsProfile: booleanInput(input, 'overwrite-aws-profile', false),
      refreshCredentials,
      cleanup: booleanInput(input, 'cleanup', true),
      jobSummary: wantsJobSummary(input)
    }
  };
}

/** `{ key: value }`, or nothing when the value is absent (the records use optional fields, not undefined). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Read on its own too, so a failure to read the other inputs can still be summarised. */
export function wantsJobSummary(input: InputReader): boolean {
  return booleanInput(input, 'job-summary', true);
}

/** role-to-assume (with aws-profile), or role-profiles: one "PROFILE = ROLE_ARN" a line. */
function readTargets(input: InputReader, customEndpoint: boolean): RoleTarget[] {
  const profile = input('aws-profile');
  if (profile && !PROFILE_NAME.test(profile)) {
    throw new ActionError(
      `Input aws-profile "${profile}" is not a profile name: use letters, digits and _ . + - (at most 64)`
    );
  }
  const lines = input('role-profiles')
    .split(/\r?\n/)
    // A block scalar keeps "#" text, so comments are ours to drop: whole lines and trailing " # …".
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
  if (lines.length === 0) {
    const role = parseRoleArn(required(input, 'role-to-assume'), customEndpoint);
    return [{ role, ...optional('profile', profile || undefined) }];
  }
  if (input('role-to-assume') || profile) {
    throw new ActionError(
      'Input role-profiles replaces role-to-assume and aws-profile: give either role-profiles, or role-to-assume ' +
        '(with aws-profile)'
    );
  }
  const targets = lines.map((line) => {
    const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(line);
    if (!match || !PROFILE_NAME.test(match[1]!)) {
      throw new ActionError(
        `Input role-profiles has the line "${line}": write one "PROFILE = ROLE_ARN" a line, ` +
          'e.g. deploy = arn:aws:iam::123456789012:role/deploy'
      );
    }
    try {
      return { profile: match[1]!, role: parseRoleArn(match[2]!, customEndpoint) };
    } catch (error) {
      const reason = (error as Error).message.replace(/^Input role-to-assume /, 'role ');
      throw new ActionError(`Input role-profiles, profile "${match[1]}": ${reason}`);
    }
  });
  const seen = new Set<string>();
  for (const { profile: name } of targets) {
    if (seen.has(name)) {
      throw new ActionError(`Input role-profiles names profile "${name}" twice: give each profile once`);
    }
    seen.add(name);
  }
  return targets;
}

function readCredentialSource(
  input: InputReader,
  tokenFile: string,
  targets: RoleTarget[],
  durationSeconds: number
): CredentialSource {
  const chaining = booleanInput(input, 'role-chaining', false);
  if (!chaining) return tokenFile ? 'token-file' : 'github-oidc';
  if (tokenFile) {
    throw new ActionError(
      'Inputs role-chaining and web-identity-token-file exclude each other: role chaining uses the credentials ' +
        'already in the environment'
    );
  }
  if (targets.length > 1) {
    throw new ActionError(
      'Input role-chaining cannot be used with role-profiles: chain one role at a time with role-to-assume'
    );
  }
  if (durationSeconds > ROLE_CHAINING_MAX_DURATION) {
    throw new ActionError(
      `Input role-duration-seconds ${durationSeconds} is above 3600: AWS caps sessions from role chaining at ` +
        '1 hour; set role-duration-seconds to 3600 or less'
    );
  }
  return 'role-chaining';
}

function readRefreshCredentials(input: InputReader): boolean {
  // With role-chaining, whether the helper can redo the chain depends on where it starts:
  // credentialSourceFor decides (and refuses) that, before any request.
  return booleanInput(input, 'refresh-credentials', false);
}

function parseProxyUrl(value: string): string | undefined {
  if (value === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  // The value is not echoed: a proxy URL may carry a password.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ActionError('Input http-proxy is not an http(s) URL: give one such as http://proxy.example.com:3128');
  }
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new ActionError(
      'Input http-proxy has a user name or password with a malformed %-escape: percent-encode it ' +
        '(e.g. % as %25), or pass the proxy through a secret already encoded'
    );
  }
  return value;
}

/**
 * FIPS and dual-stack, from the inputs or else the SDK's variables in the job's
 * environment. sts-endpoint names the host itself, so the inputs cannot be combined
 * with it, and the job-wide variables (meant for every AWS tool) do not apply to it.
 */
function readEndpointVariant(
  input: InputReader,
  env: NodeJS.ProcessEnv,
  stsEndpoint: string | undefined
): EndpointVariant {
  const read = (name: string, variable: string): boolean => {
    const given = booleanInput(input, name, false);
    if (given && stsEndpoint) {
      throw new ActionError(
        `Input ${name} cannot be combined with sts-endpoint, which names the STS host itself: ` +
          `give the FIPS or dual-stack host as sts-endpoint, or drop ${name}`
      );
    }
    if (input(name) !== '' || stsEndpoint) return given;
    const value = (env[variable] ?? '').trim().toLowerCase();
    if (value === '' || value === 'false') return false;
    if (value === 'true') return true;
    throw new ActionError(`Environment variable ${variable} "${env[variable]}" must be true or false`);
  };
  return {
    fips: read('use-fips-endpoint', 'AWS_USE_FIPS_ENDPOINT'),
    dualStack: read('use-dualstack-endpoint', 'AWS_USE_DUALSTACK_ENDPOINT')
  };
}

/** A request naming one partition's role to another partition's STS would only fail there. */
function checkPartitionMatchesRegion(role: RoleArn, region: string, partition: PartitionData): void {
  if (role.partition !== partition.id) {
    throw new ActionError(
      `Input role-to-assume is in partition ${role.partition} but aws-region ${region} is in ${partition.id}: ` +
        "use a region of the role's partition or the role's ARN for that partition"
    );
  }
}

function parseInlinePolicy(value: string): string | undefined {
  if (value === '') return undefined;
  let minified: string;
  try {
    minified = JSON.stringify(JSON.parse(value));
  } catch {
    throw new ActionError(
      'Input inline-session-policy is not valid JSON: give an IAM policy document such as ' +
        '{"Version":"2012-10-17","Statement":[...]}'
    );
  }
  if (minified.length > MAX_POLICY_CHARS) {
    throw new ActionError(
      `Input inline-session-policy is ${minified.length} characters without white space; STS takes at most ` +
        `${MAX_POLICY_CHARS}: shorten it or use managed-session-policies`
    );
  }
  return minified;
}

function parseManagedPolicies(arns: string[]): string[] {
  const bad = arns.find((arn) => !isPolicyArn(arn));
  if (bad !== undefined) {
    throw new ActionError(
      `Input managed-session-policies has "${bad}", which is not a policy ARN: give one ARN a line, ` +
        'e.g. arn:aws:iam::aws:policy/ReadOnlyAccess'
    );
  }
  if (arns.length > MAX_MANAGED_POLICIES) {
    throw new ActionError(
      `Input managed-session-policies has ${arns.length} ARNs; STS takes at most ${MAX_MANAGED_POLICIES}`
    );
  }
  return arns;
}

function parseAccountIds(ids: string[]): string[] {
  const bad = ids.find((id) => !ACCOUNT_ID.test(id));
  if (bad !== undefined) {
    throw new ActionError(
      `Input allowed-account-ids has "${bad}", which is not a 12-digit account id: give a comma-separated list ` +
        'such as 123456789012,210987654321'
    );
  }
  return ids;
}

/** Hosts of AWS's own STS endpoints in every partition (regular, FIPS and dual-stack names). */
const AWS_AUDIENCES = ['sts.amazonaws.com', 'sts.amazonaws.com.cn'];

const isLoopback = (url: URL): boolean => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

/**
 * The endpoint receives the job's OIDC token. A token whose audience AWS accepts could be
 * replayed at AWS by whoever runs a foreign endpoint, so such an endpoint needs an
 * audience of its own. What listens on loopback is part of the runner (tests, a local proxy).
 */
function checkEndpointAudience(endpoint: string, audience: string, source: CredentialSource): void {
  const url = new URL(endpoint);
  if (source === 'role-chaining' || isLoopback(url) || isAwsStsHost(url.hostname)) return;
  if (AWS_AUDIENCES.includes(audience)) {
    throw new ActionError(
      `Input sts-endpoint ${url.host} is not an AWS STS host, and it would receive the job's OIDC token with ` +
        `audience "${audience}", which AWS accepts: set input audience to one only that endpoint accepts, ` +
        'so the token cannot be replayed at AWS'
    );
  }
}

function parseStsEndpoint(value: string): string | undefined {
  if (value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActionError(
      `Input sts-endpoint "${value}" is not a URL: give one such as https://sts.eu-west-2.amazonaws.com`
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new ActionError(
      `Input sts-endpoint "${value}" must use https (plain http is allowed only for a loopback address)`
    );
  }
  return value;
}
