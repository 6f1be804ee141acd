import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { fromHttp, fromInstanceMetadata } from '@aws-sdk/credential-providers';
import { startContainerCredentials, startInstanceMetadata } from '../../emulator/host-credentials.ts';
import { startStsStub, type StsStub } from '../../emulator/sts-stub.ts';

const INSTANCE_ROLE = 'arn:aws:iam::111122223333:role/runner-instance';
const TARGET = 'arn:aws:iam::123456789012:role/deploy';
let sts: StsStub;
beforeEach(async () => {
  sts = await startStsStub();
  sts.addRole({
    arn: TARGET,
    maxSessionDuration: 3600,
    trust: {},
    trustedSessions: ['arn:aws:sts::111122223333:assumed-role/runner-instance/*'],
    tagSession: true,
    assumeRoleCondition: { StringEquals: { 'sts:ExternalId': 'tenant-7', 'aws:RequestTag/Team': 'blue' } }
  });
});
afterEach(() => sts.close());

const assumeWith = (credentials: AwsCredentialIdentity, extra: Record<string, unknown> = {}) =>
  new STSClient({ endpoint: sts.url, region: 'eu-west-2', credentials, maxAttempts: 1 }).send(
    new AssumeRoleCommand({ RoleArn: TARGET, RoleSessionName: 'chained', ...extra })
  );

describe('instance metadata (IMDSv2)', () => {
  it("hands the SDK's provider keys that sign an AssumeRole the stub verifies", async () => {
    const imds = await startInstanceMetadata(sts, INSTANCE_ROLE);
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.url;
    try {
      const credentials = await fromInstanceMetadata({ timeout: 1000, maxRetries: 0 })();
      expect(credentials.accessKeyId).toBe(imds.handedOut[0]!.accessKeyId);
      const answer = await assumeWith(credentials, {
        ExternalId: 'tenant-7',
        Tags: [{ Key: 'Team', Value: 'blue' }]
      });
      expect(answer.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/chained');
      expect(imds.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
        'PUT /latest/api/token',
        'GET /latest/meta-data/iam/security-credentials/',
        'GET /latest/meta-data/iam/security-credentials/runner-instance'
      ]);
    } finally {
      delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
      await imds.close();
    }
  });

  it('answers 401 without a session token (IMDSv1 is off)', async () => {
    const imds = await startInstanceMetadata(sts, INSTANCE_ROLE);
    const response = await fetch(`${imds.url}/latest/meta-data/iam/security-credentials/`);
    expect(response.status).toBe(401);
    await imds.close();
  });
});

describe('container credentials', () => {
  it('requires the authorization token when one is set (EKS Pod Identity)', async () => {
    const endpoint = await startContainerCredentials(sts, INSTANCE_ROLE, 'pod-token-xyz');
    await expect(
      fromHttp({
        awsContainerCredentialsFullUri: endpoint.fullUri,
        awsContainerAuthorizationToken: 'wrong',
        maxRetries: 0
      })()
    ).rejects.toThrow(/401/);
    const credentials = await fromHttp({
      awsContainerCredentialsFullUri: endpoint.fullUri,
      awsContainerAuthorizationToken: 'pod-token-xyz',
      maxRetries: 0
    })();
    expect(
      (await assumeWith(credentials, { ExternalId: 'tenant-7', Tags: [{ Key: 'Team', Value: 'blue' }] })).Credentials
    ).toBeDefined();
    await endpoint.close();
  });
});

describe('AssumeRole conditions', () => {
  it('refuses a missing or wrong ExternalId, untrusted tags, and tags without sts:TagSession', async () => {
    const credentials = sts.issue(INSTANCE_ROLE, 'i-0123');
    const tags = [{ Key: 'Team', Value: 'blue' }];
    await expect(assumeWith(credentials, { Tags: tags })).rejects.toThrow(/not authorized to perform: sts:AssumeRole/);
    await expect(assumeWith(credentials, { ExternalId: 'tenant-8', Tags: tags })).rejects.toThrow(/sts:AssumeRole/);
    await expect(
      assumeWith(credentials, { ExternalId: 'tenant-7', Tags: [{ Key: 'Team', Value: 'red' }] })
    ).rejects.toThrow(/sts:AssumeRole/);
    await expect(
      assumeWith(credentials, { ExternalId: 'tenant-7', Tags: [{ Key: 'Team', Value: 'bl*ue' }] })
    ).rejects.toThrow(/ValidationError|validation error/);
    await expect(
      assumeWith(credentials, { ExternalId: 'tenant-7', Tags: tags, TransitiveTagKeys: ['Other'] })
    ).rejects.toThrow(/transitive tag key 'Other'/);
    sts.roles.get(TARGET)!.tagSession = false;
    await expect(assumeWith(credentials, { ExternalId: 'tenant-7', Tags: tags })).rejects.toThrow(/sts:TagSession/);
  });
});
