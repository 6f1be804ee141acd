import { ActionError } from './errors.ts';

/** The YAML a user pastes when the permission is missing; printed before the error. */
const ID_TOKEN_PERMISSION_YAML = ['permissions:', '  id-token: write'];

/** Where and how the runner lets this job ask for an OIDC token. */
export interface OidcTokenService {
  url: string;
  bearer: string;
}

/**
 * Reads the runner's token request variables. They exist only when the job has
 * `permissions: id-token: write`; forks' pull requests and Dependabot never get them.
 */
export function oidcTokenServiceFrom(env: NodeJS.ProcessEnv): OidcTokenService {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new ActionError(
      'No GitHub OIDC token for this job: add "permissions: id-token: write" to the job or workflow (see the lines above); pull requests from forks and Dependabot runs never get a token',
      ['Add these lines to the job (or to the workflow, for every job):', ...ID_TOKEN_PERMISSION_YAML.map((line) => `  ${line}`)]
    );
  }
  return { url, bearer };
}

export interface FetchIdTokenOptions {
  audience: string;
  timeoutMs: number;
  /** Called with the token before it is returned, so it is masked before anything can print it. */
  mask: (secret: string) => void;
}

/** A failed token request; `code` is "HTTP_<status>", a network error code, or a body problem. */
export class OidcRequestError extends Error {
  readonly code: string;
  readonly httpStatus: number | undefined;
  constructor(code: string, message: string, httpStatus?: number) {
    super(message);
    this.name = 'OidcRequestError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** Asks GitHub's token service for a JWT with the given audience. One request, no retries. */
export async function fetchIdToken(service: OidcTokenService, options: FetchIdTokenOptions): Promise<string> {
  const url = new URL(service.url);
  url.searchParams.set('audience', options.audience);
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${service.bearer}`, accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs)
    });
    body = await response.text();
  } catch (error) {
    const code = networkErrorCode(error);
    throw new OidcRequestError(code, code === 'TimeoutError' ? `no answer within ${options.timeoutMs / 1000} s` : code);
  }
  if (!response.ok) throw new OidcRequestError(`HTTP_${response.status}`, `HTTP ${response.status}`, response.status);
  let token: unknown;
  try {
    token = (JSON.parse(body) as { value?: unknown }).value;
  } catch {
    throw new OidcRequestError('InvalidJson', 'a body that is not JSON', response.status);
  }
  if (typeof token !== 'string' || token === '') {
    throw new OidcRequestError('NoToken', 'JSON without a token in "value"', response.status);
  }
  options.mask(token);
  return token;
}

/** The system error code behind a failed fetch (undici wraps it in `cause`). */
export function networkErrorCode(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'TimeoutError';
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  if (error instanceof Error && /other side closed|socket hang up/i.test(String(error.cause ?? error.message))) return 'SocketHangUp';
  return error instanceof Error ? error.name : 'NetworkError';
}
