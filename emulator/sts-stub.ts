/*
 * An STS on the AWS Query protocol that behaves like the real one where the action can
 * tell: it verifies the web identity token against the issuer's JWKS, evaluates a trust
 * policy, checks parameters, and answers in STS's XML shapes with its error codes and
 * statuses. Faults can be injected. GetCallerIdentity checks the SigV4 signature, so a
 * consumer succeeds only with the exact credentials issued.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  emptyTimeline,
  hugeBody,
  startLocalServer,
  trickle,
  type Handler,
  type NetworkConditions,
  type ServerTimeline
} from './http-server.ts';
import type { TlsMaterial } from './tls.ts';
import {
  checkTrustPolicy,
  evaluateTrustPolicy,
  policyFromCondition,
  providerArnFor,
  providerNameOf,
  wildcardMatch,
  type ConditionBlock,
  type TrustPolicy,
  type TrustVerdict
} from '../tools/trust-policy.ts';

export interface RoleDefinition {
  arn: string;
  maxSessionDuration: number;
  /** The role's trust policy, or just a Condition block (one Allow statement for the provider). */
  trust: TrustPolicy | ConditionBlock;
  /** Assumed-role session ARNs (wildcards allowed) whose credentials may AssumeRole into this role. */
  trustedSessions?: string[];
  /** Whether the trust policy also allows sts:TagSession: without it, AssumeRole with Tags is refused. */
  tagSession?: boolean;
  /** The Condition on the statement allowing sts:AssumeRole: keys sts:ExternalId and aws:RequestTag/KEY. */
  assumeRoleCondition?: ConditionBlock;
}

export interface OidcProviderDefinition {
  issuer: string;
  clientIds: string[];
  /**
   * The provider's name in IAM, which prefixes its condition keys and ends its ARN; by default
   * the issuer without https://. The emulation registers its local issuer as GitHub's.
   */
  name?: string;
  /**
   * The local service standing in for the issuer's host (our DNS): the discovery document
   * and the keys it names are fetched there, under the issuer's path. Default: the issuer.
   */
  keysFrom?: string;
}

export type StsFault =
  | 'throttle'
  | 'internal-error'
  | 'idp-communication'
  | 'verification-key'
  | 'expired-token'
  | 'drop-connection'
  | 'html-page'
  | 'garbage-xml'
  | 'empty-body'
  | { delayMs: number }
  /** An error answer with this status, code and message (e.g. text a hostile STS would send). */
  | { status: number; code: string; message: string }

  /** Headers, then one byte every intervalMs, never finishing. */
  | { trickleIntervalMs: number }
  /** A 500 whose body is this many bytes. */
  | { hugeBodyBytes: number };

export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  assumedRoleArn: string;
  accountId: string;
  sessionName: string;
  /** The Expiration text to answer with instead of now + DurationSeconds (for tamper). */
  expirationText?: string;
  /** Epoch ms after which GetCallerIdentity refuses these credentials (ExpiredToken). */
  expiresAt?: number;
}

export interface StsRequestRecord {
  action: string;
  params: Record<string, string>;
  status: number;
  code?: string;
  /** For AssumeRoleWithWebIdentity: the trust policy's verdict on the token. */
  trust?: TrustVerdict;
}

export interface StsStub {
  url: string;
  /** With TLS: the port of the same service over HTTPS. */
  tlsPort?: number;
  /** Connections, requests, answers and emulated waits on both listeners. */
  timeline: ServerTimeline;
  providers: OidcProviderDefinition[];
  roles: Map<string, RoleDefinition>;
  faults: StsFault[];
  /** Admit at most this many AssumeRole* calls per second; the rest get Throttling. */
  ratePerSecond?: number;
  /** Until this time (epoch ms) every AssumeRole* call gets 503 ServiceUnavailable: a brown-out. */
  unavailableUntil?: number;
  requests: StsRequestRecord[];
  issued: IssuedSession[];
  /**
   * Issue credentials that expire this many seconds after issue, whatever DurationSeconds
   * asked (at least 900 at STS): lets a test see several expiries in seconds.
   */
  sessionLifetimeSeconds?: number;
  /** Changes the next sessions issued, e.g. a session token a hostile or broken STS would send. */
  tamper?: (session: IssuedSession) => IssuedSession;
  addRole(role: RoleDefinition): void;
  /** Issues credentials for a role session outside STS (an instance profile, a task role), valid for AssumeRole. */
  issue(roleArn: string, sessionName: string): IssuedSession;
  close(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

class StsError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function errorXml(error: StsError): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return [
    `<ErrorResponse xmlns="${NS}">`,
    '  <Error>',
    `    <Type>${type}</Type>`,
    `    <Code>${escapeXml(error.code)}</Code>`,
    `    <Message>${escapeXml(error.message)}</Message>`,
    '  </Error>',
    `  <RequestId>${randomUUID()}</RequestId>`,
    '</ErrorResponse>',
    ''
  ].join('\n');
}

/** What IAM decides for this token: the role's trust policy, evaluated by the same code as check-trust. */
function trustVerdict(
  role: RoleDefinition,
  provider: OidcProviderDefinition,
  claims: Record<string, unknown>
): TrustVerdict {
  const [, partition = 'aws', , , accountId = ''] = role.arn.split(':');
  const providerName = provider.name ?? providerNameOf(provider.issuer);
  const providerArn = providerArnFor(partition, accountId, providerName);
  const policy =
    'Statement' in role.trust
      ? checkTrustPolicy(role.trust)
      : policyFromCondition(role.trust as ConditionBlock, providerArn);
  return evaluateTrustPolicy(policy, { providerName, providerArn, claims });
}

/** The AssumedRoleUser and Credentials elements both AssumeRole calls answer with. */
function sessionXml(session: IssuedSession): string {
  const expiration =
    session.expirationText ?? new Date(session.expiresAt ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `    <AssumedRoleUser>
      <AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${session.sessionName}</AssumedRoleId>
      <Arn>${session.assumedRoleArn}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${session.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${escapeXml(session.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${escapeXml(session.sessionToken)}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>`;
}

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** StringEquals / StringLike on request keys: every key must match one of its values; an absent key never does. */
function assumeRoleConditionHolds(condition: ConditionBlock, context: Record<string, string | undefined>): boolean {
  const tests: Record<string, (pattern: string, value: string) => boolean> = {
    StringEquals: (pattern, value) => pattern === value,
    StringLike: wildcardMatch
  };
  return Object.entries(condition).every(([operator, keys]) => {
    const test = tests[operator];
    return (
      test !== undefined &&
      Object.entries(keys).every(([key, expected]) => {
        const actual = context[key];
        return actual !== undefined && [expected].flat().some((pattern) => test(String(pattern), actual));
      })
    );
  });
}

/** Checks the AssumeRole parameters that trust conditions see: ExternalId, Tags, TransitiveTagKeys. */
function checkSessionConditions(role: RoleDefinition, params: Record<string, string>, caller: string): void {
  const tags: Record<string, string> = {};
  for (let n = 1; params[`Tags.member.${n}.Key`] !== undefined; n += 1) {
    tags[params[`Tags.member.${n}.Key`]!] = params[`Tags.member.${n}.Value`] ?? '';
  }
  const transitive = Object.entries(params)
    .filter(([name]) => name.startsWith('TransitiveTagKeys.member.'))
    .map(([, key]) => key);
  const invalid = (what: string): StsError =>
    new StsError(400, 'ValidationError', `1 validation error detected: ${what}`);
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_TEXT.test(key) || key.length < 1 || key.length > 128) throw invalid(`tag key '${key}' is not valid`);
    if (!TAG_TEXT.test(value) || value.length > 256) throw invalid(`the value of tag '${key}' is not valid`);
  }
  if (Object.keys(tags).length > 50) throw invalid('at most 50 session tags');
  const stray = transitive.find((key) => !(key in tags));
  if (stray !== undefined) throw invalid(`transitive tag key '${stray}' is not one of the session tags`);
  if (params.ExternalId !== undefined && !EXTERNAL_ID.test(params.ExternalId)) throw invalid('externalId is not valid');
  const denied = (action: string): StsError =>
    new StsError(
      403,
      'AccessDenied',
      `User: ${caller} is not authorized to perform: ${action} on resource: ${role.arn}`
    );
  if (Object.keys(tags).length && !role.tagSession) throw denied('sts:TagSession');
  const context: Record<string, string | undefined> = { 'sts:ExternalId': params.ExternalId };
  for (const [key, value] of Object.entries(tags)) context[`aws:RequestTag/${key}`] = value;
  if (role.assumeRoleCondition && !assumeRoleConditionHolds(role.assumeRoleCondition, context)) {
    throw denied('sts:AssumeRole');
  }
}

function credentialsFor(role: Pick<RoleDefinition, 'arn'>, sessionName: string): IssuedSession {
  const accountId = /^arn:[\w-]+:iam::(\d{12})?:/.exec(role.arn)?.[1] ?? '';
  const partition = role.arn.split(':')[1];
  const roleName = role.arn.slice(role.arn.lastIndexOf('/') + 1);
  return {
    accessKeyId: `ASIA${randomBytes(12).toString('hex').toUpperCase().slice(0, 16)}`,
    // Real secrets and tokens contain "/" and "+"; keep them so exports are tested with them.
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(300).toString('base64')}`,
    assumedRoleArn: `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    accountId,
    sessionName
  };
}

const VERIFICATION_KEY_MESSAGE =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity " +
  'documentation for requirements';

/** Discovery document, then its jwks_uri, as STS does; any failure is STS's "verification key" error. */
async function fetchJwks(provider: OidcProviderDefinition): Promise<ReturnType<typeof createLocalJWKSet>> {
  const origin = new URL(provider.issuer).origin;
  const local = (url: string): string =>
    provider.keysFrom && url.startsWith(origin) ? provider.keysFrom + url.slice(origin.length) : url;
  try {
    const fetchJson = async (url: string): Promise<unknown> =>
      (await fetch(local(url), { signal: AbortSignal.timeout(5000) })).json();
    const discovery = (await fetchJson(`${provider.issuer}/.well-known/openid-configuration`)) as { jwks_uri: string };
    return createLocalJWKSet((await fetchJson(discovery.jwks_uri)) as JSONWebKeySet);
  } catch {
    throw new StsError(400, 'InvalidIdentityToken', VERIFICATION_KEY_MESSAGE);
  }
}

/** With `network`, the HTTPS listener answers as if farther away. */
export async function startStsStub(tls?: TlsMaterial, network?: NetworkConditions): Promise<StsStub> {
  let windowStart = 0;
  let windowCount = 0;

  const overRate = (): boolean => {
    if (!stub.ratePerSecond) return false;
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      windowCount = 0;
    }
    windowCount += 1;
    return windowCount > stub.ratePerSecond;
  };

  const verifyToken = async (
    token: string
  ): Promise<{ claims: Record<string, unknown>; provider: OidcProviderDefinition }> => {
    let unverified: Record<string, unknown>;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new StsError(
        400,
        'InvalidIdentityToken',
        'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)'
      );
    }
    const provider = stub.providers.find((candidate) => candidate.issuer === unverified.iss);
    if (!provider)
      throw new StsError(
        400,
        'InvalidIdentityToken',
        `No OpenIDConnect provider found in your account for ${String(unverified.iss)}`
      );
    const jwks = await fetchJwks(provider);
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: provider.issuer, algorithms: ['RS256'] });
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!audiences.some((audience) => audience !== undefined && provider.clientIds.includes(audience))) {
        throw new StsError(400, 'InvalidIdentityToken', 'Incorrect token audience');
      }
      return { claims: payload as Record<string, unknown>, provider };
    } catch (error) {
      if (error instanceof StsError) throw error;
      if (error instanceof joseErrors.JWTExpired) {
        throw new StsError(
          400,
          'ExpiredTokenException',
          'Token expired: current date/time must be before the expiration date/time'
        );
      }
      throw new StsError(
        400,
        'InvalidIdentityToken',
        'The web identity token that was passed could not be validated by AWS. ' +
          'Get a new identity token from the identity provider and then retry the request.'
      );
    }
  };

  const assumeRoleWithWebIdentity = async (
    params: Record<string, string>,
    record: StsRequestRecord
  ): Promise<string> => {
    const sessionName = params.RoleSessionName ?? '';
    if (!SESSION_NAME.test(sessionName)) {
      throw new StsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: ` +
          'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64'
      );
    }
    const duration = Number(params.DurationSeconds ?? '3600');
    if (!(duration >= 900 && duration <= 43200)) {
      throw new StsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' ` +
          'failed to satisfy constraint: Member must have value between 900 and 43200'
      );
    }
    const { claims, provider } = await verifyToken(params.WebIdentityToken ?? '');
    const role = stub.roles.get(params.RoleArn ?? '');
    const verdict = role && trustVerdict(role, provider, claims);
    record.trust = verdict;
    if (!role || verdict?.decision !== 'allowed') {
      throw new StsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    }
    if (duration > role.maxSessionDuration) {
      throw new StsError(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'
      );
    }
    if (params.Policy !== undefined) {
      try {
        JSON.parse(params.Policy);
      } catch {
        throw new StsError(400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
      }
    }
    const session = issue(role, sessionName, duration);
    return `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">
  <AssumeRoleWithWebIdentityResult>
    <Audience>${escapeXml(String(claims.aud))}</Audience>
    <Provider>${escapeXml(String(claims.iss))}</Provider>
${sessionXml(session)}
    <SubjectFromWebIdentityToken>${escapeXml(String(claims.sub))}</SubjectFromWebIdentityToken>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`;
  };

  const assumeRole = async (
    request: IncomingMessage,
    body: string,
    params: Record<string, string>
  ): Promise<string> => {
    const caller = await verifySignature(request, body, stub.issued);
    const sessionName = params.RoleSessionName ?? '';
    if (!SESSION_NAME.test(sessionName)) {
      throw new StsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`
      );
    }
    const role = stub.roles.get(params.RoleArn ?? '');
    if (!role || !(role.trustedSessions ?? []).some((pattern) => wildcardMatch(pattern, caller.assumedRoleArn))) {
      throw new StsError(
        403,
        'AccessDenied',
        `User: ${caller.assumedRoleArn} is not authorized to perform: sts:AssumeRole on resource: ${params.RoleArn}`
      );
    }
    checkSessionConditions(role, params, caller.assumedRoleArn);
    const duration = Number(params.DurationSeconds ?? '3600');
    if (duration > 3600) {
      throw new StsError(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'
      );
    }
    const session = issue(role, sessionName, duration);
    return `<AssumeRoleResponse xmlns="${NS}">
  <AssumeRoleResult>
${sessionXml(session)}
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
`;
  };

  const getCallerIdentity = async (request: IncomingMessage, body: string): Promise<string> => {
    const session = await verifySignature(request, body, stub.issued);
    return `<GetCallerIdentityResponse xmlns="${NS}">
  <GetCallerIdentityResult>
    <Arn>${session.assumedRoleArn}</Arn>
    <UserId>AROA0000000000000000:${session.sessionName}</UserId>
    <Account>${session.accountId}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`;
  };

  const injectFault = async (fault: StsFault, response: ServerResponse): Promise<boolean> => {
    const send = (status: number, type: string, text: string): boolean => {
      response.writeHead(status, { 'content-type': type });
      response.end(text);
      return true;
    };
    const xmlError = (status: number, code: string, message: string): boolean =>
      send(status, 'text/xml', errorXml(new StsError(status, code, message)));
    if (typeof fault === 'object' && 'code' in fault) return xmlError(fault.status, fault.code, fault.message);
    if (typeof fault === 'object') {
      if ('trickleIntervalMs' in fault) {
        trickle(response, 200, 'text/xml', fault.trickleIntervalMs);
        return true;
      }
      if ('hugeBodyBytes' in fault) {
        hugeBody(response, 500, 'text/xml', fault.hugeBodyBytes);
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return false;
    }
    switch (fault) {
      case 'throttle':
        return xmlError(400, 'Throttling', 'Rate exceeded');
      case 'internal-error':
        return xmlError(500, 'InternalFailure', 'An internal error occurred.');
      case 'idp-communication':
        return xmlError(
          400,
          'IDPCommunicationError',
          'The request could not be fulfilled because the identity provider (IDP) that was asked to verify ' +
            'the incoming identity token could not be reached.'
        );
      case 'verification-key':
        return xmlError(400, 'InvalidIdentityToken', VERIFICATION_KEY_MESSAGE);
      case 'expired-token':
        return xmlError(
          400,
          'ExpiredTokenException',
          'Token expired: current date/time must be before the expiration date/time'
        );
      case 'drop-connection':
        response.socket?.destroy();
        return true;
      case 'html-page':
        return send(502, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>');
      case 'garbage-xml':
        return send(200, 'text/xml', '<AssumeRoleWithWebIdentityResponse><AssumeRoleWith');
      case 'empty-body':
        return send(200, 'text/xml', '');
    }
  };

  const issue = (role: RoleDefinition, sessionName: string, durationSeconds: number): IssuedSession => {
    const lifetime = stub.sessionLifetimeSeconds ?? durationSeconds;
    const session = (stub.tamper ?? ((issued: IssuedSession) => issued))({
      ...credentialsFor(role, sessionName),
      // Whole seconds, as STS's Expiration has no fraction.
      expiresAt: Math.floor((Date.now() + lifetime * 1000) / 1000) * 1000
    });
    stub.issued.push(session);
    return session;
  };

  const handler: Handler = async (request, body, response) => {
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    const record: StsRequestRecord = { action, params, status: 200 };
    stub.requests.push(record);
    if (action.startsWith('AssumeRole')) {
      const fault = stub.faults.shift();
      if (fault !== undefined && (await injectFault(fault, response))) {
        record.status = response.statusCode;
        record.code = typeof fault === 'string' ? fault : 'code' in fault ? fault.code : undefined;
        return;
      }
    }
    try {
      if (action.startsWith('AssumeRole') && Date.now() < (stub.unavailableUntil ?? 0)) {
        throw new StsError(503, 'ServiceUnavailable', 'Service is unable to handle request.');
      }
      if (action.startsWith('AssumeRole') && overRate()) throw new StsError(400, 'Throttling', 'Rate exceeded');
      let xml: string;
      if (action === 'AssumeRoleWithWebIdentity') xml = await assumeRoleWithWebIdentity(params, record);
      else if (action === 'AssumeRole') xml = await assumeRole(request, body, params);
      else if (action === 'GetCallerIdentity') xml = await getCallerIdentity(request, body);
      else
        throw new StsError(
          400,
          'InvalidAction',
          `Could not find operation ${action} for version ${params.Version ?? ''}`
        );
      response.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      response.end(xml);
    } catch (error) {
      const stsError = error instanceof StsError ? error : new StsError(500, 'InternalFailure', String(error));
      record.status = stsError.status;
      record.code = stsError.code;
      response.writeHead(stsError.status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      response.end(errorXml(stsError));
    }
  };
  const timeline = emptyTimeline();
  const server = await startLocalServer(handler, undefined, { timeline });
  const tlsServer = tls ? await startLocalServer(handler, tls, { network, timeline }) : undefined;

  const stub: StsStub = {
    url: server.url,
    providers: [],
    roles: new Map(),
    faults: [],
    requests: [],
    issued: [],
    ...(tlsServer ? { tlsPort: tlsServer.port } : {}),
    timeline,
    addRole: (role) => void stub.roles.set(role.arn, role),
    issue: (roleArn, sessionName) => {
      const session = credentialsFor({ arn: roleArn }, sessionName);
      stub.issued.push(session);
      return session;
    },
    close: async () => {
      await Promise.all([server.close(), tlsServer?.close()]);
    }
  };
  return stub;
}

/** Credential (key id, date, region, service), SignedHeaders, Signature. */
const SIGV4_AUTHORIZATION = new RegExp(
  '^AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, ?' +
    'SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$'
);

/** Recomputes the request's SigV4 signature with the issued secret; throws STS's errors when it differs. */
async function verifySignature(
  request: IncomingMessage,
  body: string,
  issued: IssuedSession[]
): Promise<IssuedSession> {
  const authorization = request.headers.authorization ?? '';
  const parsed = SIGV4_AUTHORIZATION.exec(authorization);
  if (!parsed) throw new StsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const [, accessKeyId, , region, service, signedHeaders, signature] = parsed as unknown as string[];
  const session = issued.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (!session)
    throw new StsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  if (request.headers['x-amz-security-token'] !== session.sessionToken) {
    throw new StsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  }
  if (session.expiresAt !== undefined && Date.now() >= session.expiresAt) {
    throw new StsError(403, 'ExpiredToken', 'The security token included in the request is expired');
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) headers[name] = String(request.headers[name] ?? '');
  const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken
    },
    region: region!,
    service: service!,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false
  });
  const signed = await signer.sign(
    {
      method: request.method ?? 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body
    },
    { signingDate }
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(
    String(signed.headers.authorization ?? signed.headers.Authorization)
  )?.[1];
  if (expected !== signature) {
    throw new StsError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.'
    );
  }
  return session;
}
