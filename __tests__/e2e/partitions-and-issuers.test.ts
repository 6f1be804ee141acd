/*
 * Every partition and endpoint variant, and GitHub Enterprise's issuers, end to end.
 * STS's real names (sts.us-iso-east-1.c2s.ic.gov, sts-fips.us-east-1.amazonaws.com …)
 * are reached through the test proxy, which routes exactly those names to the STS stub
 * over HTTPS with a test CA: success proves the action asked for that host, and the
 * proxy's log shows it. Issuer forms are served by the token service and verified by
 * the stub against that issuer's keys.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ROLE_ARN, startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { issuerUrlFor, type IssuerForm } from '../../emulator/oidc-issuer.ts';
import { startTestProxy, type TestProxy } from '../../emulator/proxy.ts';
import { createTlsMaterial } from '../../emulator/tls.ts';

const STS_HOSTS = [
  'sts.us-iso-east-1.c2s.ic.gov',
  'sts.eusc-de-east-1.amazonaws.eu',
  'sts-fips.us-east-1.amazonaws.com',
  'sts-fips.us-east-1.api.aws'
];
let emulation: Emulation;
let proxy: TestProxy;
let caFile: string;

beforeAll(async () => {
  const tls = await createTlsMaterial(STS_HOSTS);
  caFile = join(mkdtempSync(join(tmpdir(), 'ca-')), 'ca.pem');
  writeFileSync(caFile, tls.caPem);
  emulation = await startEmulation(tls);
  proxy = await startTestProxy(Object.fromEntries(STS_HOSTS.map((host) => [`${host}:443`, emulation.sts.tlsPort!])));
});
afterAll(async () => {
  await emulation.close();
  await proxy.close();
});
beforeEach(() => {
  proxy.seen.length = 0;
  emulation.sts.requests.length = 0;
  emulation.useIssuer({ kind: 'github.com' });
});

const TRUST_GITHUB_COM = {
  StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
  StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:*' }
};

/** The real STS host for the region, through the proxy: no sts-endpoint. */
async function viaRealHost(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const rest = Object.fromEntries(Object.entries(emulation.inputs(inputs)).filter(([name]) => name !== 'sts-endpoint'));
  return emulation
    .job({ env: { NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: proxy.url, ...env }, debug: true })
    .uses(rest);
}

describe('partitions and endpoint variants', () => {
  it.each([
    ['aws-iso', 'us-iso-east-1', 'sts.us-iso-east-1.c2s.ic.gov'],
    ['aws-eusc', 'eusc-de-east-1', 'sts.eusc-de-east-1.amazonaws.eu']
  ])('a role in %s (%s) gets credentials from %s', async (partition, region, host) => {
    const role = `arn:${partition}:iam::123456789012:role/deploy`;
    emulation.sts.addRole({ arn: role, maxSessionDuration: 3600, trust: TRUST_GITHUB_COM });
    const main = await viaRealHost({ 'role-to-assume': role, 'aws-region': region });
    expect(main.log.at(-1)).toMatch(new RegExp(`^Assumed ${role} as session`));
    expect(main.exitCode).toBe(0);
    expect(proxy.seen).toEqual([`${host}:443`]);
    expect(main.exported).toMatchObject({
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: emulation.sts.issued.at(-1)!.accessKeyId
    });
    expect(emulation.sts.issued.at(-1)!.assumedRoleArn).toMatch(new RegExp(`^arn:${partition}:sts::123456789012:`));
  });

  it('use-fips-endpoint sends STS to the FIPS host, and the debug log names it', async () => {
    const main = await viaRealHost({ 'aws-region': 'us-east-1', 'use-fips-endpoint': 'true' });
    expect(main.exitCode).toBe(0);
    expect(proxy.seen).toEqual(['sts-fips.us-east-1.amazonaws.com:443']);
    expect(main.log).toContain('##[debug]STS endpoint: https://sts-fips.us-east-1.amazonaws.com (partition aws)');
  });

  it("the SDK's AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT in the job's env choose the FIPS dual-stack host", async () => {
    const main = await viaRealHost(
      { 'aws-region': 'us-east-1' },
      { AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'true' }
    );
    expect(main.exitCode).toBe(0);
    expect(proxy.seen).toEqual(['sts-fips.us-east-1.api.aws:443']);
  });
});

describe("the SDK's configured endpoints", () => {
  // A workflow that points every AWS tool at LocalStack or another service
  // (AWS_ENDPOINT_URL…, endpoint_url in the profile) must not make the action send the
  // job's OIDC token, whose audience AWS accepts, anywhere but the STS host it names.
  let elsewhere: Server;
  let reached: string[];
  let elsewhereUrl: string;
  beforeAll(async () => {
    reached = [];
    elsewhere = createServer((_, response) => response.writeHead(500).end());
    // Any connection counts: the SDK would speak TLS through the proxy's tunnel.
    elsewhere.on('connection', (socket) => reached.push(String(socket.remotePort)));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    elsewhereUrl = `http://sts-elsewhere.test:${(elsewhere.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => elsewhere.close(() => resolve())));

  const role = 'arn:aws-iso:iam::123456789012:role/deploy';
  it.each([
    ['AWS_ENDPOINT_URL_STS', (url: string) => ({ AWS_ENDPOINT_URL_STS: url })],
    ['AWS_ENDPOINT_URL', (url: string) => ({ AWS_ENDPOINT_URL: url })],
    [
      'endpoint_url in the default profile',
      (url: string) => {
        const config = join(mkdtempSync(join(tmpdir(), 'aws-config-')), 'config');
        writeFileSync(config, `[default]\nendpoint_url = ${url}\n`);
        return { AWS_CONFIG_FILE: config };
      }
    ]
  ])('%s does not take the token elsewhere: STS is the host the log names', async (_, envFor) => {
    reached.length = 0;
    emulation.sts.addRole({ arn: role, maxSessionDuration: 3600, trust: TRUST_GITHUB_COM });
    const main = await viaRealHost({ 'role-to-assume': role, 'aws-region': 'us-iso-east-1' }, envFor(elsewhereUrl));
    expect(reached).toEqual([]);
    expect(proxy.seen).toEqual(['sts.us-iso-east-1.c2s.ic.gov:443']);
    expect(main.log).toContain('##[debug]STS endpoint: https://sts.us-iso-east-1.c2s.ic.gov (partition aws-iso)');
    expect(main.exitCode).toBe(0);
  });
});

describe('GitHub Enterprise issuers', () => {
  const forms: [string, IssuerForm][] = [
    ['GHES', { kind: 'ghes', host: 'ghes.example.com' }],
    ['GHE.com', { kind: 'ghe.com', subdomain: 'octo-corp' }]
  ];

  it.each(forms)('a %s token gets credentials', async (_, form) => {
    emulation.useIssuer(form);
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.exitCode).toBe(0);
    expect(main.exported.AWS_ACCESS_KEY_ID).toBe(emulation.sts.issued.at(-1)!.accessKeyId);
  });

  it.each(forms)('a refused %s token gets a diagnosis with its own condition keys', async (_, form) => {
    emulation.useIssuer(form);
    emulation.issuer.run = { ...emulation.issuer.run, form: 'environment', name: 'production' };
    const key = issuerUrlFor(form).slice('https://'.length);
    emulation.sts.addRole({
      arn: DEMO_ROLE_ARN,
      maxSessionDuration: 3600,
      trust: { StringLike: { [`${key}:sub`]: 'repo:octo-org/octo-repo:ref:*' } }
    });
    const main = await emulation.job().uses(emulation.inputs());
    emulation.issuer.run = { ...emulation.issuer.run, form: 'branch', name: 'main' };
    expect(main.exitCode).toBe(1);
    const log = main.log.join('\n');
    expect(log).toContain(`  iss: ${issuerUrlFor(form)}\n`);
    expect(log).toContain(`Federated principal: arn:aws:iam::123456789012:oidc-provider/${key}):`);
    expect(log).toContain(`"${key}:sub": "repo:octo-org/octo-repo:environment:production"`);
    expect(log).not.toContain('token.actions.githubusercontent.com');
    expect(main.log.at(-1)).toMatch(/^Error: STS refused arn:aws:iam::123456789012:role\/deploy for this run/);
  });

  it("stops after 3 attempts when STS cannot fetch a GHES issuer's keys, and says its JWKS must be reachable", async () => {
    emulation.useIssuer({ kind: 'ghes', host: 'ghes.example.com' });
    emulation.sts.providers[0]!.keysFrom = 'http://127.0.0.1:9';
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.exitCode).toBe(1);
    expect(emulation.sts.requests).toHaveLength(3);
    expect(main.log.at(-1)).toBe(
      'Error: STS could not retrieve the signing keys of issuer https://ghes.example.com/_services/token after 3 ' +
        'attempts: AWS fetches https://ghes.example.com/_services/token/.well-known/openid-configuration and the JWKS ' +
        'at https://ghes.example.com/_services/token/.well-known/jwks from the internet, so both must be reachable ' +
        'from outside your network (see README, GitHub Enterprise)'
    );
  });
});
