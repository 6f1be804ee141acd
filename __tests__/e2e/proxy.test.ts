/*
 * Proxies: the token request and STS go through the proxy named by HTTPS_PROXY or the
 * http-proxy input. The services are reached by hostnames under .test, which only the
 * test proxy resolves, over HTTPS with a test CA: success proves the traffic went
 * through the proxy, and the proxy's log shows which connections it carried.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { startTestProxy, type TestProxy } from '../../emulator/proxy.ts';
import { createTlsMaterial } from '../../emulator/tls.ts';

const TOKEN_HOST = 'token.github.test';
const STS_HOST = 'sts.aws.test';
let emulation: Emulation;
let proxy: TestProxy;
let caFile: string;

beforeAll(async () => {
  const tls = await createTlsMaterial([TOKEN_HOST, STS_HOST, '127.0.0.1']);
  caFile = join(mkdtempSync(join(tmpdir(), 'ca-')), 'ca.pem');
  writeFileSync(caFile, tls.caPem);
  emulation = await startEmulation(tls);
  // sts.aws.test is not AWS: it gets a token only with an audience of its own (see settings.ts).
  emulation.sts.providers[0]!.clientIds.push(STS_HOST);
  for (const role of emulation.sts.roles.values())
    role.trust = { StringEquals: { 'token.actions.githubusercontent.com:aud': STS_HOST } };
  proxy = await startTestProxy();
});
afterAll(async () => {
  await emulation.close();
  await proxy.close();
});
beforeEach(() => {
  proxy.seen.length = 0;
  emulation.sts.requests.length = 0;
});

function job(env: Record<string, string>) {
  return emulation.job({
    env: { NODE_EXTRA_CA_CERTS: caFile, ...env },
    idToken: {
      requestUrl: `https://${TOKEN_HOST}:${emulation.issuer.tlsPort}/token?api-version=2.0`,
      requestToken: emulation.issuer.requestToken
    }
  });
}
const inputs = (extra: Record<string, string> = {}) =>
  emulation.inputs({ 'sts-endpoint': `https://${STS_HOST}:${emulation.sts.tlsPort}`, audience: STS_HOST, ...extra });

describe('proxies', () => {
  it('sends the token request and STS through HTTPS_PROXY', async () => {
    const main = await job({ HTTPS_PROXY: proxy.url }).uses(inputs());
    expect(main.log.at(-1)).toMatch(/^Assumed /);
    expect(main.exitCode).toBe(0);
    expect(proxy.seen).toEqual([`${TOKEN_HOST}:${emulation.issuer.tlsPort}`, `${STS_HOST}:${emulation.sts.tlsPort}`]);
    expect(emulation.sts.requests).toHaveLength(1);
  });

  it('uses the http-proxy input when the environment names no proxy, and masks its password', async () => {
    const withPassword = proxy.url.replace('http://', 'http://user:s3cret-proxy-pass@');
    const main = await job({}).uses(inputs({ 'http-proxy': withPassword }));
    expect(main.exitCode).toBe(0);
    expect(proxy.seen).toHaveLength(2);
    expect(main.raw.split('\n').filter((line) => line.includes('s3cret-proxy-pass'))).toEqual([
      '::add-mask::s3cret-proxy-pass'
    ]);
  });

  it('refuses a proxy password with a malformed %-escape before any request, without echoing it', async () => {
    const withPassword = proxy.url.replace('http://', 'http://user:bad%zzpass@');
    const main = await job({}).uses(inputs({ 'http-proxy': withPassword }));
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toMatch(/^Error: Input http-proxy has a user name or password with a malformed %-escape/);
    expect(main.raw).not.toContain('bad%zzpass');
    expect(proxy.seen).toEqual([]);
  });

  it('without a proxy, opens one connection to STS over HTTPS and sends one request on it', async () => {
    const connections = () => emulation.sts.timeline.events.filter((event) => event.kind === 'connection').length;
    const before = connections();
    const direct = emulation.job({
      env: { NODE_EXTRA_CA_CERTS: caFile },
      idToken: {
        requestUrl: `https://127.0.0.1:${emulation.issuer.tlsPort}/token?api-version=2.0`,
        requestToken: emulation.issuer.requestToken
      }
    });
    const main = await direct.uses(inputs({ 'sts-endpoint': `https://127.0.0.1:${emulation.sts.tlsPort}` }));
    expect(main.exitCode).toBe(0);
    expect(main.exported.AWS_ACCESS_KEY_ID).toMatch(/^ASIA/);
    expect(connections() - before).toBe(1);
    expect(emulation.sts.requests).toHaveLength(1);
  });

  it('reaches hosts in no-proxy directly (here: not at all, as only the proxy resolves .test)', async () => {
    const main = await job({ HTTPS_PROXY: proxy.url, NO_PROXY: STS_HOST }).uses(inputs({ 'retry-max-attempts': '1' }));
    expect(main.exitCode).toBe(1);
    expect(proxy.seen).toEqual([`${TOKEN_HOST}:${emulation.issuer.tlsPort}`]);
    // Without the proxy the .test name does not resolve (or, on a machine without a resolver, times out).
    expect(main.log.at(-1)).toMatch(/^Error: .*STS.*(ENOTFOUND|EAI_AGAIN|TimeoutError)/);
  });
});
