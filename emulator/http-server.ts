import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';

export type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void | Promise<void>;

/**
 * A network farther away than loopback, for the bench: each new connection waits
 * `connectionDelayMs` before the server reads from it (the TCP and TLS handshakes'
 * round trips), and each request waits `requestDelayMs` before it is answered.
 */
export interface NetworkConditions {
  connectionDelayMs: number;
  requestDelayMs: number;
}

/** What the server saw, in performance.now() time: arrivals, and the emulated waits. */
export interface ServerTimeline {
  /** A connection was accepted, a request's headers arrived, an answer was sent. */
  events: { kind: 'connection' | 'request' | 'response'; at: number }[];
  /** [start, end] of each emulated network wait. */
  waits: [number, number][];
}

/** An HTTP server on 127.0.0.1 with a free port; close() also ends kept-alive sockets. */
export interface LocalServer {
  url: string;
  port: number;
  timeline: ServerTimeline;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServerOptions {
  /** Answer as if farther away than loopback. */
  network?: NetworkConditions;
  /** Record into this timeline (e.g. one shared by a service's HTTP and HTTPS listeners). */
  timeline?: ServerTimeline;
}

export const emptyTimeline = (): ServerTimeline => ({ events: [], waits: [] });

/** With `tls`, the server speaks HTTPS with that key and certificate. */
export async function startLocalServer(
  handler: Handler,
  tls?: { keyPem: string; certPem: string },
  { network, timeline = emptyTimeline() }: ServerOptions = {}
): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const wait = async (ms: number): Promise<void> => {
    if (ms <= 0) return;
    const start = performance.now();
    await sleep(ms);
    timeline.waits.push([start, performance.now()]);
  };
  const listener: RequestListener = (request, response) => {
    timeline.events.push({ kind: 'request', at: performance.now() });
    response.on('finish', () => timeline.events.push({ kind: 'response', at: performance.now() }));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      Promise.resolve()
        .then(() => wait(network?.requestDelayMs ?? 0))
        .then(() => handler(request, Buffer.concat(chunks).toString('utf8'), response))
        .catch((error: unknown) => {
          if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`emulator error: ${error instanceof Error ? error.message : String(error)}`);
        });
    });
  };
  const server: Server = tls
    ? createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, listener)
    : createServer(listener);
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  // Without a network delay, the server listens itself; with one, a plain TCP listener
  // holds each connection unread for the delay and then hands it to the server.
  const front = network
    ? createNetServer({ pauseOnConnect: true }, (socket) => {
        track(socket);
        timeline.events.push({ kind: 'connection', at: performance.now() });
        void wait(network.connectionDelayMs).then(() => {
          if (socket.destroyed) return;
          server.emit('connection', socket);
          socket.resume();
        });
      })
    : server;
  if (!network) {
    server.on('connection', (socket: Socket) => {
      track(socket);
      timeline.events.push({ kind: 'connection', at: performance.now() });
    });
  }
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const { port } = front.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    timeline,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        front.close(() => resolve());
      })
  };
}

/** Fault: sends the headers, then one byte every intervalMs until the client hangs up. */
export function trickle(response: ServerResponse, status: number, contentType: string, intervalMs: number): void {
  response.writeHead(status, { 'content-type': contentType });
  response.write('<');
  const timer = setInterval(() => response.write(' '), intervalMs);
  response.once('close', () => clearInterval(timer));
}

/** Fault: a body of `bytes` bytes (chunked, no length declared), written as fast as the client reads. */
export function hugeBody(response: ServerResponse, status: number, contentType: string, bytes: number): void {
  response.writeHead(status, { 'content-type': contentType });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = bytes;
  const pump = (): void => {
    while (left > 0 && !response.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!response.write(piece)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end();
  };
  pump();
}
