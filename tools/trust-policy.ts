/*
 * IAM trust-policy evaluation for AssumeRoleWithWebIdentity with a GitHub OIDC token.
 * One evaluator for the emulator's STS stub and for `npm run check-trust`, so the two
 * never disagree. Pure: no I/O.
 *
 * It evaluates what it knows and names the rest: an operator, key or policy variable it
 * cannot evaluate makes the statement "unknown", never a guessed true or false.
 */

export type ConditionBlock = Record<string, Record<string, unknown>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: ConditionBlock;
}

export interface TrustPolicy {
  Version?: string;
  Statement: PolicyStatement[];
}

/** What IAM sees when a token is presented: the provider it maps to and the token's claims. */
export interface WebIdentityRequest {
  /** The IAM OIDC provider's name: the issuer URL without https://, e.g. token.actions.githubusercontent.com. */
  providerName: string;
  /** The provider's ARN in the role's account; a Federated principal must name it. */
  providerArn: string;
  claims: Record<string, unknown>;
  /** Defaults to sts:AssumeRoleWithWebIdentity. */
  action?: string;
}

/** true, false, or "depends on something this evaluator cannot know". */
export type Tri = boolean | 'unknown';

export interface StatementVerdict {
  /** Sid, or "statement N" (1-based). */
  label: string;
  effect: 'Allow' | 'Deny';
  applies: Tri;
  /** Why it does not apply, or what could not be evaluated. */
  reasons: string[];
}

export interface TrustVerdict {
  /** denied: an explicit Deny applies; not-allowed: no Allow applies; unknown: it depends on what is named in unevaluable. */
  decision: 'allowed' | 'denied' | 'not-allowed' | 'unknown';
  statements: StatementVerdict[];
  unevaluable: string[];
}

export class TrustPolicyError extends Error {}

/** The claims IAM exposes as condition keys for an OIDC provider: PROVIDER:sub and PROVIDER:aud. */
export const CLAIM_KEYS = ['sub', 'aud'] as const;

const STRING_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike'
] as const;
type StringOperator = (typeof STRING_OPERATORS)[number];

export interface ParsedOperator {
  set?: 'ForAnyValue' | 'ForAllValues';
  base: StringOperator;
  ifExists: boolean;
  negated: boolean;
}

/** Splits "ForAnyValue:StringLikeIfExists" into its parts; undefined for an operator outside the string family. */
export function parseOperator(operator: string): ParsedOperator | undefined {
  const match = /^(?:(ForAnyValue|ForAllValues):)?(\w+?)(IfExists)?$/.exec(operator);
  if (!match) return undefined;
  const [, set, base, ifExists] = match;
  if (!STRING_OPERATORS.includes(base as StringOperator)) return undefined;
  return {
    ...(set ? { set: set as ParsedOperator['set'] } : {}),
    base: base as StringOperator,
    ifExists: ifExists !== undefined,
    negated: base!.startsWith('StringNot')
  };
}

/** IAM's provider name for an issuer URL: without https:// and without a trailing slash. */
export function providerNameOf(issuerUrl: string): string {
  return issuerUrl.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
}

/** IAM's * (any run of characters) and ? (one character), case-sensitive, across the whole value. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${regex}$`).test(value);
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Reads a policy document, checking the shape this evaluator relies on. */
export function parseTrustPolicy(text: string): TrustPolicy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TrustPolicyError(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return checkTrustPolicy(document);
}

export function checkTrustPolicy(document: unknown): TrustPolicy {
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new TrustPolicyError('a policy document is a JSON object with a "Statement"');
  }
  const statements = asList((document as { Statement?: unknown }).Statement);
  if (statements.length === 0) throw new TrustPolicyError('the policy has no "Statement"');
  statements.forEach((statement, index) => {
    const label = `statement ${index + 1}`;
    if (!statement || typeof statement !== 'object') throw new TrustPolicyError(`${label} is not an object`);
    const { Effect, Condition } = statement as Record<string, unknown>;
    if (Effect !== 'Allow' && Effect !== 'Deny') {
      throw new TrustPolicyError(`${label}: "Effect" must be "Allow" or "Deny", not ${JSON.stringify(Effect)}`);
    }
    if (Condition !== undefined) {
      if (!Condition || typeof Condition !== 'object' || Array.isArray(Condition)) {
        throw new TrustPolicyError(`${label}: "Condition" must be an object of operators`);
      }
      for (const [operator, keys] of Object.entries(Condition)) {
        if (!keys || typeof keys !== 'object' || Array.isArray(keys)) {
          throw new TrustPolicyError(`${label}: Condition operator ${operator} must map condition keys to values`);
        }
      }
    }
  });
  return { ...(document as TrustPolicy), Statement: statements as PolicyStatement[] };
}

export const statementLabel = (statement: PolicyStatement, index: number): string =>
  statement.Sid ? `statement ${JSON.stringify(statement.Sid)}` : `statement ${index + 1}`;

type KeyValue = { kind: 'values'; values: string[] } | { kind: 'absent' } | { kind: 'unknown'; why: string };

/** The request's value for a condition key (key names are case-insensitive in IAM). */
function contextValue(key: string, request: WebIdentityRequest): KeyValue {
  const colon = key.lastIndexOf(':');
  const prefix = key.slice(0, colon).toLowerCase();
  const claim = key.slice(colon + 1).toLowerCase();
  const looksLikeProvider = /[./]/.test(prefix);
  if (colon > 0 && looksLikeProvider && prefix === request.providerName.toLowerCase()) {
    if (!(CLAIM_KEYS as readonly string[]).includes(claim)) {
      return {
        kind: 'unknown',
        why: `condition key ${key} (AWS exposes only the token's sub and aud as ${request.providerName}:sub and :aud)`
      };
    }
    const values = asList(request.claims[claim]).map(String);
    return values.length ? { kind: 'values', values } : { kind: 'absent' };
  }
  // Another identity provider's key is absent from a request made with this provider's token.
  if (colon > 0 && looksLikeProvider) return { kind: 'absent' };
  return { kind: 'unknown', why: `condition key ${key} (its value in the real request is not known here)` };
}

function valueMatches(base: StringOperator, pattern: string, value: string): boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
      return pattern === value;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return pattern.toLowerCase() === value.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return wildcardMatch(pattern, value);
  }
}

/** One operator on one key: IAM's rules for missing keys, negation, IfExists and the set prefixes. */
export function evaluateCondition(
  operator: string,
  key: string,
  expected: unknown,
  request: WebIdentityRequest
): { result: Tri; unevaluable?: string } {
  const parsed = parseOperator(operator);
  if (!parsed) return { result: 'unknown', unevaluable: `condition operator ${operator} (on ${key})` };
  const patterns = asList(expected).map(String);
  const variable = patterns.find((pattern) => pattern.includes('${'));
  if (variable !== undefined) {
    return { result: 'unknown', unevaluable: `policy variable in ${operator} ${key}: ${JSON.stringify(variable)}` };
  }
  const context = contextValue(key, request);
  if (context.kind === 'unknown') return { result: 'unknown', unevaluable: context.why };
  if (context.kind === 'absent') {
    // A missing key: IfExists and ForAllValues pass, ForAnyValue fails, negated operators pass.
    if (parsed.ifExists || parsed.set === 'ForAllValues') return { result: true };
    if (parsed.set === 'ForAnyValue') return { result: false };
    return { result: parsed.negated };
  }
  const matchesAny = (value: string): boolean => patterns.some((pattern) => valueMatches(parsed.base, pattern, value));
  const passes = (value: string): boolean => (parsed.negated ? !matchesAny(value) : matchesAny(value));
  if (parsed.set === 'ForAllValues') return { result: context.values.every(passes) };
  if (parsed.set === 'ForAnyValue') return { result: context.values.some(passes) };
  return { result: parsed.negated ? !context.values.some(matchesAny) : context.values.some(matchesAny) };
}

function principalMatches(statement: PolicyStatement, request: WebIdentityRequest): Tri {
  if (statement.NotPrincipal !== undefined) return 'unknown';
  const principal = statement.Principal;
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const entries = principal as Record<string, unknown>;
  if (asList(entries.AWS).includes('*')) return true;
  return asList(entries.Federated).some((arn) => arn === request.providerArn);
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  const matches = (list: unknown) =>
    asList(list).some((pattern) => wildcardMatch(String(pattern).toLowerCase(), action.toLowerCase()));
  if (statement.Action !== undefined) return matches(statement.Action);
  if (statement.NotAction !== undefined) return !matches(statement.NotAction);
  return false;
}

const and = (values: Tri[]): Tri => (values.includes(false) ? false : values.includes('unknown') ? 'unknown' : true);

export function evaluateStatement(
  statement: PolicyStatement,
  index: number,
  request: WebIdentityRequest
): StatementVerdict & { unevaluable: string[] } {
  const label = statementLabel(statement, index);
  const reasons: string[] = [];
  const unevaluable: string[] = [];
  const action = request.action ?? 'sts:AssumeRoleWithWebIdentity';
  const principal = principalMatches(statement, request);
  if (principal === 'unknown') unevaluable.push(`${label}: NotPrincipal`);
  if (principal === false) reasons.push(`its Principal does not name ${request.providerArn}`);
  const actionOk = actionMatches(statement, action);
  if (!actionOk) reasons.push(`its Action does not include ${action}`);
  const results: Tri[] = [principal, actionOk];
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const { result, unevaluable: what } = evaluateCondition(operator, key, expected, request);
      if (what) unevaluable.push(`${label}: ${what}`);
      if (result === false) reasons.push(`${operator} ${key} ${JSON.stringify(expected)} does not hold`);
      results.push(result);
    }
  }
  return { label, effect: statement.Effect, applies: and(results), reasons: [...reasons, ...unevaluable], unevaluable };
}

/** IAM's decision: an applicable Deny wins; otherwise an applicable Allow allows; otherwise denied by default. */
export function evaluateTrustPolicy(policy: TrustPolicy, request: WebIdentityRequest): TrustVerdict {
  const evaluated = policy.Statement.map((statement, index) => evaluateStatement(statement, index, request));
  const statements = evaluated.map(({ label, effect, applies, reasons }) => ({ label, effect, applies, reasons }));
  const unevaluable = evaluated.flatMap((statement) => statement.unevaluable);
  const denies = evaluated.filter((statement) => statement.effect === 'Deny').map((statement) => statement.applies);
  const allows = evaluated.filter((statement) => statement.effect === 'Allow').map((statement) => statement.applies);
  let decision: TrustVerdict['decision'];
  if (denies.includes(true)) decision = 'denied';
  else if (allows.includes(true)) decision = denies.includes('unknown') ? 'unknown' : 'allowed';
  else decision = allows.includes('unknown') ? 'unknown' : 'not-allowed';
  return { decision, statements, unevaluable };
}

/** A policy with one Allow statement for this Condition block and provider: what the stub's bare conditions mean. */
export function policyFromCondition(condition: ConditionBlock, providerArn: string): TrustPolicy {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: condition
      }
    ]
  };
}

/** arn:PARTITION:iam::ACCOUNT:oidc-provider/NAME */
export const providerArnFor = (partition: string, accountId: string, providerName: string): string =>
  `arn:${partition}:iam::${accountId}:oidc-provider/${providerName}`;
