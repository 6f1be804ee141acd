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

/** Asks GitHub's token service for a JWT with the given audience. */
export async function fetchIdToken(service: OidcTokenService, options: FetchIdTokenOptions): Promise<string> {
  const url = new URL(service.url);
  url.searchParams.set('audience', options.audience);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${service.bearer}`, accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs)
    });
  } catch (error) {
    throw new ActionError(`Could not reach GitHub's OIDC token service: ${networkReason(error)}`);
  }
  const body = await response.text();
  if (!response.ok) {
    throw new ActionError(`GitHub's OIDC token service answered HTTP ${response.status}${statusHint(response.status)}`);
  }
  let token: unknown;
  try {
    token = (JSON.parse(body) as { value?: unknown }).value;
  } catch {
    throw new ActionError("GitHub's OIDC token service answered with a body that is not JSON");
  }
  if (typeof token !== 'string' || token === '') {
    throw new ActionError('GitHub\'s OIDC token service answered without a token (no "value" in its JSON)');
  }
  options.mask(token);
  return token;
}

function statusHint(status: number): string {
  if (status === 401 || status === 403) return ': the job\'s token request was refused; check "permissions: id-token: write"';
  if (status >= 500) return ': GitHub had a problem; re-run the job';
  return '';
}

/** A short cause for a failed fetch: the system error code when there is one. */
export function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer before the timeout';
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
