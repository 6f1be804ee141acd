/*
 * An HTTP proxy on 127.0.0.1 for the proxy tests. It tunnels CONNECT requests and
 * forwards absolute-URI requests, resolving hostnames under .test (which resolve
 * nowhere else) to 127.0.0.1: a request that reaches such a host went through here.
 */
import { createServer, request as httpRequest } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface TestProxy {
  url: string;
  /** "host:port" of every CONNECT tunnel and forwarded request, in order. */
  seen: string[];
  close(): Promise<void>;
}

const resolveTestHost = (host: string): string => (host.endsWith('.test') ? '127.0.0.1' : host);

/**
 * `routes` maps "host:port" to a local port: a tunnel to a real service's name (e.g. STS's
 * FIPS host) lands on a local stand-in instead, and `seen` shows which name was asked for.
 */
export async function startTestProxy(routes: Record<string, number> = {}): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const server = createServer((request, response) => {
    // Plain-HTTP proxying: the request line carries the absolute URI.
    const target = new URL(request.url ?? '');
    seen.push(target.host);
    const upstream = httpRequest(
      {
        host: resolveTestHost(target.hostname),
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: request.method,
        headers: request.headers
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      }
    );
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  server.on('connect', (request, client: Socket, head: Buffer) => {
    const [host = '', port = '443'] = (request.url ?? '').split(':');
    seen.push(`${host}:${port}`);
    const routed = routes[`${host}:${port}`];
    const upstream = connect(routed ?? Number(port), routed ? '127.0.0.1' : resolveTestHost(host), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
    sockets.add(upstream);
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  };
}
