/*
 * HTTP for the token request and the proxy agent for STS, both through
 * @actions/http-client: it honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and bypasses
 * loopback addresses) the way the rest of the Actions toolkit does.
 */
import { getProxyUrl, HttpClient } from '@actions/http-client';

const USER_AGENT = 'oidc-aws-credentials';

/**
 * Makes the http-proxy / no-proxy inputs apply to this step's own requests, as the
 * standard variables would. Only this process's environment changes, not later steps'.
 */
export function applyProxyInputs(proxy: { httpProxy?: string; noProxy?: string }, env: NodeJS.ProcessEnv): void {
  if (proxy.httpProxy) {
    for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) env[name] = proxy.httpProxy;
  }
  if (proxy.noProxy) {
    for (const name of ['no_proxy', 'NO_PROXY']) env[name] = proxy.noProxy;
  }
}

/** A Node HTTP(S) agent that tunnels through the proxy for this URL, or undefined when none applies. */
export function proxyAgentFor(url: string): unknown {
  if (!getProxyUrl(url)) return undefined;
  const agent = new HttpClient(USER_AGENT).getAgent(url) as { destroy?: () => void };
  // The AWS SDK takes an agent only if it is an https.Agent or has destroy(); otherwise it
  // treats it as options and builds its own agent, bypassing the proxy. The tunnelling
  // agent pools nothing, so there is nothing for destroy() to do.
  agent.destroy ??= () => undefined;
  return agent;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** A GET with no retries of its own; network failures keep their system error code. */
export async function httpGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResponse> {
  const client = new HttpClient(USER_AGENT, [], {
    allowRetries: false,
    allowRedirects: false,
    socketTimeout: timeoutMs
  });
  try {
    const response = await client.get(url, headers);
    return { status: response.message.statusCode ?? 0, body: await response.readBody() };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('Request timeout')) {
      throw Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'TimeoutError' });
    }
    throw error;
  } finally {
    client.dispose();
  }
}
