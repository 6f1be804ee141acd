/*
 * GitHub's OIDC token service, as a job sees it: GET <request url>&audience=X with the
 * runner's bearer token answers {"value": JWT}. The same server publishes the discovery
 * document and a JWKS whose key carries an x5c certificate, as GitHub does, so an STS
 * (our stub or Ceph RGW) can verify the tokens.
 */
import { exportJWK, SignJWT } from 'jose';
import { githubSubject } from '../tools/trust-check.ts';
import {
  emptyTimeline,
  hugeBody,
  startLocalServer,
  trickle,
  type Handler,
  type LocalServer,
  type NetworkConditions,
  type ServerTimeline
} from './http-server.ts';
import { generateRsaKeys, selfSignedCertificate, type TlsMaterial } from './tls.ts';

export type SubjectForm = 'branch' | 'tag' | 'pull_request' | 'environment';

/** What kind of run the token describes; the claims follow from it as on GitHub. */
export interface RunDescription {
  owner: string;
  repo: string;
  form: SubjectForm;
  /** Branch or tag name for branch/tag forms; the environment for the environment form. */
  name: string;
  /** Other claims to set or override (e.g. a custom sub). */
  extraClaims?: Record<string, string>;
  lifetimeSeconds?: number;
  /** The iss claim, when this local service stands in for another issuer (e.g. GitHub's); default its own URL. */
  issuer?: string;
}

export const DEFAULT_RUN: RunDescription = { owner: 'octo-org', repo: 'octo-repo', form: 'branch', name: 'main' };

/** GitHub's sub: environment, then pull_request, then ref — the first that applies. */
export const subjectFor = (run: RunDescription): string => githubSubject({ owner: run.owner, repo: run.repo }, run);

function claimsFor(run: RunDescription): Record<string, string> {
  const ref =
    run.form === 'tag'
      ? `refs/tags/${run.name}`
      : run.form === 'pull_request'
        ? 'refs/pull/42/merge'
        : `refs/heads/${run.form === 'branch' ? run.name : 'main'}`;
  const workflowRef = `${run.owner}/${run.repo}/.github/workflows/deploy.yml@${ref}`;
  return {
    sub: subjectFor(run),
    actor: 'octocat',
    actor_id: '583231',
    base_ref: run.form === 'pull_request' ? 'main' : '',
    head_ref: run.form === 'pull_request' ? 'feature' : '',
    environment: run.form === 'environment' ? run.name : '',
    event_name: run.form === 'pull_request' ? 'pull_request' : 'push',
    job_workflow_ref: workflowRef,
    job_workflow_sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    ref,
    ref_type: run.form === 'tag' ? 'tag' : 'branch',
    repository: `${run.owner}/${run.repo}`,
    repository_id: '123456789',
    repository_owner: run.owner,
    repository_owner_id: '987654',
    repository_visibility: 'private',
    run_id: '4242',
    run_number: '17',
    run_attempt: '1',
    runner_environment: 'github-hosted',
    sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    workflow: 'Deploy',
    workflow_ref: workflowRef,
    workflow_sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    ...run.extraClaims
  };
}

/**
 * Where the tokens say they come from (`iss`). github.com's issuer; an enterprise with a
 * unique issuer (a path after it); GHE.com (a host per enterprise); GitHub Enterprise
 * Server (a path on the server's own host).
 */
export type IssuerForm =
  | { kind: 'github.com' }
  | { kind: 'enterprise'; slug: string }
  | { kind: 'ghe.com'; subdomain: string }
  | { kind: 'ghes'; host: string };

export function issuerUrlFor(form: IssuerForm): string {
  switch (form.kind) {
    case 'github.com':
      return 'https://token.actions.githubusercontent.com';
    case 'enterprise':
      return `https://token.actions.githubusercontent.com/${form.slug}`;
    case 'ghe.com':
      return `https://token.actions.${form.subdomain}.ghe.com`;
    case 'ghes':
      return `https://${form.host}/_services/token`;
  }
}

/** A fault the token service shows for the next requests. */
export type OidcFault =
  | { status: number; body?: string }
  | { body: string }
  /** A 200 whose headers come at once, then one byte every intervalMs, never finishing. */
  | { trickleIntervalMs: number }
  /** A 200 whose body is this many bytes. */
  | { hugeBodyBytes: number };

export interface OidcIssuer {
  /** The issuer (`iss`) and base URL. */
  url: string;
  port: number;
  /** ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN as the runner would set them. */
  requestUrl: string;
  requestToken: string;
  /** The run the next tokens describe. */
  run: RunDescription;
  /** Token requests seen, with the audience asked for and when (performance.now()). */
  tokenRequests: { audience: string | null; authorized: boolean; at: number }[];
  /** Faults answered, one a request, before normal service resumes. */
  faults: OidcFault[];
  /** With TLS: the port of the same service over HTTPS. */
  tlsPort?: number;
  /** Connections, requests, answers and emulated waits on both listeners. */
  timeline: ServerTimeline;
  /** Signs a token directly (for tests that need one without a request). */
  issue(audience: string, overrides?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** With `network`, the HTTPS listener answers as if farther away (the plain one stays near, e.g. for an STS fetching keys). */
export async function startOidcIssuer(tls?: TlsMaterial, network?: NetworkConditions): Promise<OidcIssuer> {
  const keys = await generateRsaKeys();
  // RGW accepts only a JWKS key that carries an x5c certificate, as GitHub's do.
  const certificate = await selfSignedCertificate('CN=local-oidc-issuer', keys, 365);
  const kid = 'local-key-1';
  const jwk = {
    ...(await exportJWK(keys.publicKey)),
    kid,
    use: 'sig',
    alg: 'RS256',
    x5c: [Buffer.from(certificate.rawData).toString('base64')]
  };
  const requestToken = `runner-request-token-${Math.random().toString(36).slice(2)}`;

  let issuerUrl = '';
  const issue = async (audience: string, overrides: Record<string, unknown> = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = issuer.run.lifetimeSeconds ?? 300;
    return new SignJWT({
      ...claimsFor(issuer.run),
      iss: issuer.run.issuer ?? issuerUrl,
      aud: audience,
      iat: now,
      nbf: now - 5,
      exp: now + lifetime,
      jti: crypto.randomUUID(),
      ...overrides
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, x5t: 'local' })
      .sign(keys.privateKey);
  };

  const handler: Handler = async (request, _body, response) => {
    const url = new URL(request.url ?? '/', issuerUrl);
    // Standing in for another issuer, the documents name that issuer, and are served under its path too.
    const iss = issuer.run.issuer ?? issuerUrl;
    const json = (status: number, value: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      return json(200, {
        issuer: iss,
        jwks_uri: `${iss}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: [
          'sub',
          'aud',
          'exp',
          'iat',
          'iss',
          'jti',
          'nbf',
          'ref',
          'repository',
          'repository_owner',
          'run_id',
          'environment'
        ],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid']
      });
    }
    if (url.pathname.endsWith('/.well-known/jwks')) return json(200, { keys: [jwk] });
    if (url.pathname === '/token') {
      const authorized = request.headers.authorization === `Bearer ${requestToken}`;
      const audience = url.searchParams.get('audience');
      issuer.tokenRequests.push({ audience, authorized, at: performance.now() });
      const fault = issuer.faults.shift();
      if (fault && 'trickleIntervalMs' in fault)
        return trickle(response, 200, 'application/json', fault.trickleIntervalMs);
      if (fault && 'hugeBodyBytes' in fault) return hugeBody(response, 200, 'application/json', fault.hugeBodyBytes);
      if (fault) {
        response.writeHead('status' in fault ? fault.status : 200, { 'content-type': 'application/json' });
        return void response.end(fault.body ?? '');
      }
      if (!authorized) return json(401, { message: 'Bad credentials' });
      return json(200, { count: 1, value: await issue(audience ?? `https://github.com/${issuer.run.owner}`) });
    }
    json(404, { message: 'Not Found' });
  };
  const timeline = emptyTimeline();
  const server: LocalServer = await startLocalServer(handler, undefined, { timeline });
  const tlsServer = tls ? await startLocalServer(handler, tls, { network, timeline }) : undefined;
  issuerUrl = server.url;

  const issuer: OidcIssuer = {
    url: server.url,
    port: server.port,
    requestUrl: `${server.url}/token?api-version=2.0`,
    requestToken,
    run: { ...DEFAULT_RUN },
    tokenRequests: [],
    faults: [],
    ...(tlsServer ? { tlsPort: tlsServer.port } : {}),
    timeline,
    issue,
    close: async () => {
      await Promise.all([server.close(), tlsServer?.close()]);
    }
  };
  return issuer;
}
