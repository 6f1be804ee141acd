/*
 * HTTP for the token request and the proxy agent for STS, both through
 * @actions/http-client: it honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and bypasses
 * loopback addresses) the way the rest of the Actions toolkit does.
 */
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
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

/**
 * An HTTPS agent whose first connection to `url` starts now, so its TCP and TLS round
 * trips pass while something else is awaited (the token request). Undefined for plain
 * HTTP. A connection not up within `connectTimeoutMs`, or broken, is dropped and the
 * request opens its own; one never used does not keep the process alive.
 */
export function preconnectedAgent(url: string, connectTimeoutMs: number): HttpsAgent | undefined {
  const { protocol, hostname, port } = new URL(url);
  if (protocol !== 'https:') return undefined;
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  let early: TLSSocket | undefined = tlsConnect({
    host,
    port: Number(port || 443),
    ...(isIP(host) ? {} : { servername: host }),
    ALPNProtocols: ['http/1.1']
  });
  early.setTimeout(connectTimeoutMs, () => early?.destroy());
  early.once('secureConnect', () => early?.setTimeout(0));
  early.on('error', () => undefined);
  early.unref();
  class Preconnected extends HttpsAgent {
    override createConnection(...args: Parameters<HttpsAgent['createConnection']>) {
      const socket = early;
      early = undefined;
      if (socket && !socket.destroyed) {
        socket.removeAllListeners('error');
        socket.ref();
        return socket;
      }
      return super.createConnection(...args);
    }
    override destroy(): void {
      early?.destroy();
      early = undefined;
      super.destroy();
    }
  }
  return new Preconnected({ keepAlive: true });
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
