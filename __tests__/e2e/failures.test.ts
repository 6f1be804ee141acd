/*
 * Transient failures are ridden out, permanent ones fail fast with a diagnosis; all
 * against the bundled action under the runner emulation with faults injected.
 */
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import type { StsFault } from '../../emulator/sts-stub.ts';
import type { OidcFault } from '../../emulator/oidc-issuer.ts';

const emulations: Emulation[] = [];
afterAll(() => Promise.all(emulations.map((emulation) => emulation.close())));

async function runWith(faults: { sts?: StsFault[]; oidc?: OidcFault[] }, inputs: Record<string, string> = {}) {
  const emulation = await startEmulation();
  emulations.push(emulation);
  emulation.sts.faults.push(...(faults.sts ?? []));
  emulation.issuer.faults.push(...(faults.oidc ?? []));
  const main = await emulation.job().uses(emulation.inputs(inputs));
  return { main, emulation };
}

describe('transient failures are ridden out with the default retry policy', () => {
  // Run concurrently: each waits out real backoff delays.
  const cases: [string, { sts?: StsFault[]; oidc?: OidcFault[] }, number][] = [
    ['3 throttles', { sts: ['throttle', 'throttle', 'throttle'] }, 4],
    ['2 IDPCommunicationErrors', { sts: ['idp-communication', 'idp-communication'] }, 3],
    ['2 internal errors', { sts: ['internal-error', 'internal-error'] }, 3],
    ['1 dropped connection', { sts: ['drop-connection'] }, 2],
    ['a verification-key timeout at STS', { sts: ['verification-key'] }, 2],
    ['an HTML 502 from a proxy', { sts: ['html-page'] }, 2],
    ['a hung connection (response timeout)', { sts: [{ delayMs: 12_000 }] }, 2],
    ['2 token-service 503s', { oidc: [{ status: 503 }, { status: 503 }] }, 1]
  ];
  it.concurrent.each(cases)(
    '%s',
    async (_name, faults, stsRequests) => {
      const { main, emulation } = await runWith(faults);
      expect(main.log.at(-1)).toMatch(/^Assumed /);
      expect(main.exitCode).toBe(0);
      expect(main.exported.AWS_ACCESS_KEY_ID).toBe(emulation.sts.issued[0]!.accessKeyId);
      expect(emulation.sts.requests).toHaveLength(stsRequests);
      const retries = main.log.filter((line) =>
        /^Attempt \d+ of 12 for .* failed: .*; retrying in \d+\.\d s$/.test(line)
      );
      expect(retries).toHaveLength((faults.sts ?? faults.oidc ?? []).length);
    },
    40_000
  );

  it('fetches a fresh token when STS says the token expired', async () => {
    const { main, emulation } = await runWith({ sts: ['expired-token'] });
    expect(main.exitCode).toBe(0);
    expect(emulation.issuer.tokenRequests).toHaveLength(2);
    const [first, second] = emulation.sts.requests.map((request) => request.params.WebIdentityToken);
    expect(first).not.toBe(second);
  });
});

describe('permanent failures fail at once', () => {
  it('AccessDenied: one STS request, the claims, the sub form and a Condition block, no token', async () => {
    const emulation = await startEmulation();
    emulations.push(emulation);
    emulation.issuer.run = { ...emulation.issuer.run, form: 'environment', name: 'production' };
    emulation.sts.addRole({
      ...emulation.sts.roles.values().next().value!,
      trust: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:ref:*' } }
    });
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.exitCode).toBe(1);
    expect(emulation.sts.requests).toHaveLength(1);
    const key = `127.0.0.1:${emulation.issuer.port}`;
    const log = main.log.join('\n');
    expect(log).toContain('  sub: repo:octo-org/octo-repo:environment:production\n  aud: sts.amazonaws.com\n');
    expect(log).toContain(
      `  iss: ${emulation.issuer.url}\n  repository: octo-org/octo-repo\n  ref: refs/heads/main\n` +
        `  environment: production\n  event_name: push\n`
    );
    expect(log).toContain(
      'sub form: environment: the job runs in environment "production", so sub ends in :environment:NAME'
    );
    expect(log).toContain(
      `      "StringEquals": {\n        "${key}:aud": "sts.amazonaws.com",\n` +
        `        "${key}:sub": "repo:octo-org/octo-repo:environment:production"\n      }`
    );
    expect(log).toContain(`"${key}:sub": "repo:octo-org/octo-repo:ref:refs/heads/*"`);
    expect(log).not.toContain(emulation.sts.requests[0]!.params.WebIdentityToken!);
    expect(main.log.at(-1)).toMatch(
      /^Error: STS refused arn:aws:iam::123456789012:role\/deploy for this run: AccessDenied \(HTTP 403\)/
    );
  });

  it('a throttled STS that never recovers ends at action-timeout-s naming what it waited for', async () => {
    const { main, emulation } = await runWith({ sts: Array(30).fill('throttle') }, { 'action-timeout-s': '10' });
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toBe(
      `Error: Gave up waiting for STS AssumeRoleWithWebIdentity (${new URL(emulation.sts.url).host}) at the ` +
        `action-timeout-s deadline (last error: Throttling (Rate exceeded)): retry the job later or raise ` +
        `action-timeout-s`
    );
  }, 20_000);

  it('disable-retry makes one attempt', async () => {
    const { main, emulation } = await runWith({ sts: ['throttle'] }, { 'disable-retry': 'true' });
    expect(main.exitCode).toBe(1);
    expect(emulation.sts.requests).toHaveLength(1);
    expect(main.log.at(-1)).toBe(
      'Error: STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/deploy failed: Throttling (HTTP 400): Rate exceeded'
    );
  });
});
