import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DEMO_ROLE_ARN, startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { issuerUrlFor, type IssuerForm } from '../../emulator/oidc-issuer.ts';

let emulation: Emulation;
beforeAll(async () => {
  emulation = await startEmulation();
});
afterAll(() => emulation.close());

/** A different string of the same length: the last character replaced by another. */
const withLastCharacterChanged = (text: string): string => `${text.slice(0, -1)}${text.endsWith('x') ? 'y' : 'x'}`;

async function assume(token: string, extra: Record<string, string> = {}) {
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: DEMO_ROLE_ARN,
    RoleSessionName: 'test-session',
    WebIdentityToken: token,
    ...extra
  });
  const response = await fetch(emulation.sts.url, { method: 'POST', body });
  return { status: response.status, text: await response.text() };
}

describe('the STS stub refuses what AWS refuses', () => {
  it('checks the token: audience, issuer, signature and expiry', async () => {
    expect(await assume(await emulation.issuer.issue('wrong-audience'))).toMatchObject({
      status: 400,
      text: expect.stringContaining('<Message>Incorrect token audience</Message>')
    });
    expect(
      await assume(await emulation.issuer.issue('sts.amazonaws.com', { iss: 'https://elsewhere.example' }))
    ).toMatchObject({
      text: expect.stringContaining('No OpenIDConnect provider found in your account for https://elsewhere.example')
    });
    const token = await emulation.issuer.issue('sts.amazonaws.com');
    const tampered =
      withLastCharacterChanged(token.slice(0, token.lastIndexOf('.') + 5)) + token.slice(token.lastIndexOf('.') + 5);
    expect(await assume(tampered)).toMatchObject({
      status: 400,
      text: expect.stringContaining('<Code>InvalidIdentityToken</Code>')
    });
    const expired = await emulation.issuer.issue('sts.amazonaws.com', { exp: Math.floor(Date.now() / 1000) - 10 });
    expect(await assume(expired)).toMatchObject({
      status: 400,
      text: expect.stringContaining('<Code>ExpiredTokenException</Code>')
    });
  });

  it('checks the session name and duration against the role', async () => {
    const token = await emulation.issuer.issue('sts.amazonaws.com');
    expect(await assume(token, { RoleSessionName: 'a' })).toMatchObject({
      status: 400,
      text: expect.stringContaining('<Code>ValidationError</Code>')
    });
    expect(await assume(token, { DurationSeconds: '7200' })).toMatchObject({
      status: 400,
      text: expect.stringContaining('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.')
    });
  });

  it('decides with the trust-policy evaluator: a full policy document, the provider named, Deny winning', async () => {
    const provider = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const allowRepository = {
      Effect: 'Allow',
      Principal: { Federated: provider },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:*' } }
    } as const;
    const original = emulation.sts.roles.get(DEMO_ROLE_ARN)!;
    const token = await emulation.issuer.issue('sts.amazonaws.com');
    const withTrust = async (...statements: object[]) => {
      emulation.sts.addRole({
        arn: DEMO_ROLE_ARN,
        maxSessionDuration: 3600,
        trust: { Version: '2012-10-17', Statement: statements as never }
      });
      const answer = await assume(token);
      return { status: answer.status, decision: emulation.sts.requests.at(-1)!.trust?.decision };
    };
    expect(await withTrust(allowRepository)).toEqual({ status: 200, decision: 'allowed' });
    // The same conditions for another provider's ARN, or with another provider's keys, do not admit it.
    expect(await withTrust({ ...allowRepository, Principal: { Federated: provider.replace('token.', 'x.') } })).toEqual(
      {
        status: 403,
        decision: 'not-allowed'
      }
    );
    expect(
      await withTrust({
        ...allowRepository,
        Condition: { StringLike: { 'x.example:sub': 'repo:octo-org/octo-repo:*' } }
      })
    ).toEqual({ status: 403, decision: 'not-allowed' });
    expect(
      await withTrust(allowRepository, {
        Effect: 'Deny',
        Principal: '*',
        Action: 'sts:*',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:ref:refs/heads/main' }
        }
      })
    ).toEqual({ status: 403, decision: 'denied' });
    // What it cannot evaluate, it refuses and names.
    expect(
      await withTrust({ ...allowRepository, Condition: { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } } })
    ).toEqual({ status: 403, decision: 'unknown' });
    emulation.sts.addRole(original);
  });

  it('answers GetCallerIdentity only to requests signed with the exact issued credentials', async () => {
    const token = await emulation.issuer.issue('sts.amazonaws.com');
    expect((await assume(token)).status).toBe(200);
    const issued = emulation.sts.issued.at(-1)!;
    const identity = (secretAccessKey: string) =>
      new STSClient({
        region: 'eu-west-2',
        endpoint: emulation.sts.url,
        maxAttempts: 1,
        credentials: { accessKeyId: issued.accessKeyId, secretAccessKey, sessionToken: issued.sessionToken }
      }).send(new GetCallerIdentityCommand({}));
    await expect(identity(issued.secretAccessKey)).resolves.toMatchObject({
      Arn: issued.assumedRoleArn,
      Account: '123456789012'
    });
    await expect(identity(withLastCharacterChanged(issued.secretAccessKey))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch'
    });
  });
});

describe('GitHub Enterprise issuers', () => {
  const forms: [IssuerForm, string][] = [
    [{ kind: 'enterprise', slug: 'octo-corp' }, 'https://token.actions.githubusercontent.com/octo-corp'],
    [{ kind: 'ghe.com', subdomain: 'octo-corp' }, 'https://token.actions.octo-corp.ghe.com'],
    [{ kind: 'ghes', host: 'ghes.example.com' }, 'https://ghes.example.com/_services/token']
  ];
  afterEach(async () => {
    await emulation.close();
    emulation = await startEmulation();
  });

  it.each(forms)('%j: tokens name %s and are verified with the keys served under it', async (form, iss) => {
    expect(issuerUrlFor(form)).toBe(iss);
    emulation.useIssuer(form);
    const token = await emulation.issuer.issue('sts.amazonaws.com');
    expect(await assume(token)).toMatchObject({
      status: 200,
      text: expect.stringContaining(`<Provider>${iss}</Provider>`)
    });
    const discovery = await fetch(
      `${emulation.issuer.url}${new URL(iss).pathname.replace(/\/$/, '')}/.well-known/openid-configuration`
    );
    expect(await discovery.json()).toMatchObject({ issuer: iss, jwks_uri: `${iss}/.well-known/jwks` });
  });

  it("refuses a token when the trust policy names github.com's keys instead of its issuer's", async () => {
    emulation.useIssuer({ kind: 'ghes', host: 'ghes.example.com' });
    emulation.sts.addRole({
      arn: DEMO_ROLE_ARN,
      maxSessionDuration: 3600,
      trust: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:*' } }
    });
    expect((await assume(await emulation.issuer.issue('sts.amazonaws.com'))).status).toBe(403);
  });

  it('answers "Couldn\'t retrieve verification key" when the issuer\'s keys cannot be fetched', async () => {
    emulation.useIssuer({ kind: 'ghes', host: 'ghes.example.com' });
    emulation.sts.providers[0]!.keysFrom = 'http://127.0.0.1:9';
    expect(await assume(await emulation.issuer.issue('sts.amazonaws.com'))).toMatchObject({
      status: 400,
      text: expect.stringContaining("Couldn't retrieve verification key from your identity provider")
    });
  });
});
