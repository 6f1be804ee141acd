import { ActionError } from './errors.ts';
import { httpGet, type HttpResponse } from './http-transport.ts';
import { originOf, RequestError } from './request-error.ts';

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
      'No GitHub OIDC token for this job: add "permissions: id-token: write" to the job or workflow ' +
        '(see the lines above); pull requests from forks and Dependabot runs never get a token',
      [
        'Add these lines to the job (or to the workflow, for every job):',
        ...ID_TOKEN_PERMISSION_YAML.map((line) => `  ${line}`)
      ]
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

/** Asks GitHub's token service for a JWT with the given audience. One request, no retries. */
export async function fetchIdToken(service: OidcTokenService, options: FetchIdTokenOptions): Promise<string> {
  const url = new URL(service.url);
  url.searchParams.set('audience', options.audience);
  const endpoint = originOf(url);
  const failed = (code: string, message: string, httpStatus?: number): RequestError =>
    new RequestError({ service: 'oidc', code, message, httpStatus, endpoint });
  let response: HttpResponse;
  try {
    response = await httpGet(
      url.href,
      { authorization: `Bearer ${service.bearer}`, accept: 'application/json' },
      options.timeoutMs
    );
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error instanceof Error ? error.name : 'NetworkError');
    // Our own transport errors (TimeoutError, BodyTooLarge) have messages written for the
    // user; a system error's message may echo the URL, so only its code is shown.
    const ours = code === 'TimeoutError' || code === 'BodyTooLarge';
    throw failed(code, ours ? (error as Error).message : code, (error as { httpStatus?: number }).httpStatus);
  }
  if (response.status < 200 || response.status > 299) {
    throw failed(`HTTP_${response.status}`, `HTTP ${response.status}`, response.status);
  }
  let token: unknown;
  try {
    token = (JSON.parse(response.body) as { value?: unknown }).value;
  } catch {
    throw failed('InvalidJson', 'a body that is not JSON', response.status);
  }
  if (typeof token !== 'string' || token === '') {
    throw failed('NoToken', 'JSON without a token in "value"', response.status);
  }
  options.mask(token);
  return token;
}
