import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DEMO_ROLE_ARN, startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { trustAllows } from '../../emulator/sts-stub.ts';

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

  it('evaluates StringEquals and StringLike as IAM does', () => {
    const claims = { sub: 'repo:octo-org/octo-repo:environment:prod', aud: 'sts.amazonaws.com' };
    expect(trustAllows({ StringLike: { 'x:sub': 'repo:octo-org/octo-repo:*' } }, claims)).toBe(true);
    expect(trustAllows({ StringLike: { 'x:sub': 'repo:Octo-Org/octo-repo:*' } }, claims)).toBe(false);
    expect(
      trustAllows(
        { StringEquals: { 'x:sub': ['repo:a/b:pull_request', claims.sub], 'x:aud': 'sts.amazonaws.com' } },
        claims
      )
    ).toBe(true);
    expect(
      trustAllows({ StringEquals: { 'x:aud': 'sts.amazonaws.com' }, StringLike: { 'x:sub': 'repo:*:ref:*' } }, claims)
    ).toBe(false);
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
