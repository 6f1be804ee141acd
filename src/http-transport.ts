/*
 * HTTP for the token request (Node's own https), the proxy agent for STS, and the limits
 * both services' answers are read under: a whole-answer deadline and a size cap. Proxies
 * are picked by @actions/http-client, which honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY
 * (and bypasses loopback addresses) the way the rest of the Actions toolkit does; it is
 * loaded only when one of those variables is set (proxy-agent.ts).
 */
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { pipeline, Transform, type Readable } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export const USER_AGENT = 'oidc-aws-credentials';

/** Neither service answers with more than a few KiB; anything past this is not theirs. */
export const MAX_BODY_BYTES = 1024 * 1024;

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

/** The variables that can name a proxy for a URL of this scheme (either case, as the toolkit reads them). */
const proxyVariables = (url: string): string[] =>
  new URL(url).protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];

/**
 * A Node HTTP(S) agent that tunnels through the proxy for this URL, or undefined when none
 * applies. Undefined at once when no proxy variable is set: the usual case loads nothing
 * and waits for nothing. Otherwise a promise, as the proxy code loads on demand.
 */
export function proxyAgentFor(
  url: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<Agent | undefined> | undefined {
  if (!proxyVariables(url).some((name) => env[name])) return undefined;
  return import('./proxy-agent.ts').then(({ tunnellingAgentFor }) => tunnellingAgentFor(url));
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

/** An error with a code the failure classes know: TimeoutError, BodyTooLarge, or Node's own. */
export type CodedError = Error & { code: string };

const coded = (code: string, message: string): CodedError => Object.assign(new Error(message), { code });

/** The whole answer (headers and body) did not arrive within the time allowed. */
export const timeoutError = (timeoutMs: number): CodedError =>
  coded('TimeoutError', `no complete answer within ${(timeoutMs / 1000).toFixed(1)} s`);

export const bodyTooLargeError = (): CodedError =>
  coded('BodyTooLarge', `a body over ${MAX_BODY_BYTES / 1024 / 1024} MiB, more than the service ever sends`);

/**
 * The body, passed through until it exceeds MAX_BODY_BYTES; then the stream fails with
 * BodyTooLarge and the source (and its socket) is destroyed, so no more is read.
 */
export function limitBody(body: Readable, onTooLarge: (error: CodedError) => void = () => undefined): Readable {
  let seen = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen <= MAX_BODY_BYTES) return done(null, chunk);
      const error = bodyTooLargeError();
      onTooLarge(error);
      done(error);
    }
  });
  pipeline(body, limited, () => undefined);
  return limited;
}

export interface HttpResponse {
  status: number;
  /** The body of a 2xx answer; '' for any other (callers only use the status then). */
  body: string;
}

/**
 * A GET with no retries of its own; an error after the headers carries their httpStatus. The whole exchange, body included, must finish
 * within timeoutMs: a server trickling bytes cannot hold it open. Network failures keep
 * their system error code.
 */
export function httpGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  const proxy = proxyAgentFor(url);
  // Without a proxy the request leaves in this tick, ahead of anything the caller starts next.
  return proxy
    ? proxy.then((agent) => get(url, headers, timeoutMs, signal, agent))
    : get(url, headers, timeoutMs, signal);
}

function get(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
  proxy?: Agent
): Promise<HttpResponse> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => reject(signal.aborted ? timeoutError(timeoutMs) : error);
    const request = send(
      target,
      { method: 'GET', headers: { 'user-agent': USER_AGENT, ...headers }, agent: proxy ?? false, signal },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) {
          response.destroy();
          return resolve({ status, body: '' });
        }
        readBody(response).then(
          (body) => resolve({ status, body }),
          (error: unknown) => fail(Object.assign(error as Error, { httpStatus: status }))
        );
      }
    );
    request.on('error', fail);
    request.end();
  });
}

async function readBody(response: IncomingMessage): Promise<string> {
  if (Number(response.headers['content-length']) > MAX_BODY_BYTES) {
    response.destroy();
    throw bodyTooLargeError();
  }
  const chunks: Buffer[] = [];
  for await (const chunk of limitBody(response)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
