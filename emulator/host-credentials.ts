/*
 * Where a self-hosted runner inside AWS gets its own credentials, on 127.0.0.1: the EC2
 * instance metadata service (IMDSv2 only: a session token first) and the ECS / CodeBuild /
 * EKS Pod Identity container-credentials endpoint. Both hand out keys the STS stub issued,
 * so AssumeRole signed with them verifies. The SDK finds them through
 * AWS_EC2_METADATA_SERVICE_ENDPOINT and AWS_CONTAINER_CREDENTIALS_FULL_URI.
 */
import { randomBytes } from 'node:crypto';
import { startLocalServer, trickle, type Handler } from './http-server.ts';
import type { IssuedSession, StsStub } from './sts-stub.ts';

export interface HostCredentialsService {
  url: string;
  /** Every request seen: method, path, whether it carried the required token, and its Authorization header. */
  requests: { method: string; path: string; authorized: boolean; authorization?: string }[];
  /** The sessions handed out, in order. */
  handedOut: IssuedSession[];
  /** Answer every credentials request with this HTTP status instead (e.g. 404: no role attached). */
  failWith?: number;
  /**
   * Answer every request (IMDS: the session token too) with headers, then a byte every
   * half second, never finishing: a service that hangs without tripping an idle timeout.
   */
  hang?: boolean;
  close(): Promise<void>;
}

/** As the services answer: Expiration six hours ahead, RFC 3339 without milliseconds. */
function credentialsJson(session: IssuedSession): string {
  return JSON.stringify({
    Code: 'Success',
    LastUpdated: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Type: 'AWS-HMAC',
    AccessKeyId: session.accessKeyId,
    SecretAccessKey: session.secretAccessKey,
    Token: session.sessionToken,
    Expiration: new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  });
}

function roleName(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/** IMDSv2: PUT /latest/api/token, then GET …/security-credentials/ (the role name) and …/<role>. */
export async function startInstanceMetadata(sts: StsStub, instanceRoleArn: string): Promise<HostCredentialsService> {
  const tokens = new Set<string>();
  const instanceId = `i-${randomBytes(8).toString('hex').slice(0, 17)}`;
  const prefix = '/latest/meta-data/iam/security-credentials/';
  const handler: Handler = (request, _body, response) => {
    const path = request.url ?? '/';
    const send = (status: number, text: string, type = 'text/plain'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(text);
    };
    if (service.hang) {
      service.requests.push({ method: request.method ?? '', path, authorized: false });
      return trickle(response, 200, 'text/plain', 500);
    }
    if (path === '/latest/api/token') {
      const ttl = Number(request.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      service.requests.push({ method: request.method ?? '', path, authorized: true });
      if (request.method !== 'PUT') return send(405, '');
      if (!(ttl >= 1 && ttl <= 21600)) return send(400, '');
      const token = randomBytes(32).toString('base64url');
      tokens.add(token);
      return send(200, token);
    }
    const authorized = tokens.has(String(request.headers['x-aws-ec2-metadata-token'] ?? ''));
    service.requests.push({ method: request.method ?? '', path, authorized });
    // httpTokens "required": without a session token the instance answers 401.
    if (!authorized) return send(401, '');
    if (service.failWith !== undefined) return send(service.failWith, '');
    if (path === prefix) return send(200, roleName(instanceRoleArn));
    if (path === `${prefix}${roleName(instanceRoleArn)}`) {
      const session = sts.issue(instanceRoleArn, instanceId);
      service.handedOut.push(session);
      return send(200, credentialsJson(session), 'application/json');
    }
    send(404, '');
  };
  const server = await startLocalServer(handler);
  const service: HostCredentialsService = { url: server.url, requests: [], handedOut: [], close: () => server.close() };
  return service;
}

/**
 * The container endpoint: GET on the full URI, with the Authorization header equal to the
 * token (EKS Pod Identity reads it from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) when one is set.
 */
export async function startContainerCredentials(
  sts: StsStub,
  taskRoleArn: string,
  authorizationToken?: string
): Promise<HostCredentialsService & { fullUri: string }> {
  const path = '/v2/credentials/task-1234';
  const handler: Handler = (request, _body, response) => {
    const authorized = authorizationToken === undefined || request.headers.authorization === authorizationToken;
    service.requests.push({
      method: request.method ?? '',
      path: request.url ?? '/',
      authorized,
      ...(request.headers.authorization === undefined ? {} : { authorization: request.headers.authorization })
    });
    const json = (status: number, value: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    if (!authorized) return json(401, { Code: 'AccessDenied', Message: 'Authorization token is not valid' });
    if (service.failWith !== undefined) return json(service.failWith, { Code: 'Error', Message: 'no credentials' });
    if (request.method !== 'GET' || request.url !== path) return json(404, { Code: 'NotFound', Message: 'not found' });
    const session = sts.issue(taskRoleArn, randomBytes(16).toString('hex'));
    service.handedOut.push(session);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(credentialsJson(session));
  };
  const server = await startLocalServer(handler);
  const service = {
    url: server.url,
    fullUri: `${server.url}${path}`,
    requests: [],
    handedOut: [],
    close: () => server.close()
  } as HostCredentialsService & { fullUri: string };
  return service;
}
