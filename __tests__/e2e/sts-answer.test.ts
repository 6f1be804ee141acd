/*
 * STS's answer is checked against the shapes AWS documents before anything is masked or
 * exported. A malformed one is refused with one line naming the field (never its value),
 * at once and without retrying; nothing is exported.
 */
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import type { IssuedSession } from '../../emulator/sts-stub.ts';

let emulation: Emulation;
beforeAll(async () => {
  emulation = await startEmulation();
});
afterAll(() => emulation.close());

const ROLE = 'arn:aws:iam::123456789012:role/deploy';
const refusal = (what: string) =>
  `::error::STS answered for ${ROLE} with ${what}; the credentials were refused and nothing was exported: check ` +
  `sts-endpoint points at STS (or a proxy is not rewriting its answers)`;

describe('a malformed STS answer is refused', () => {
  it.each<[string, Partial<IssuedSession>, string, string]>([
    [
      'an access key id with other characters',
      { accessKeyId: 'ASIA-NOT::A-KEY-ID-0001' },
      'ASIA-NOT::A-KEY-ID-0001',
      'an AccessKeyId that is not 16-128 letters, digits or _'
    ],
    [
      'an access key id too short',
      { accessKeyId: 'ASIA1234' },
      'ASIA1234',
      'an AccessKeyId that is not 16-128 letters, digits or _'
    ],
    [
      'a secret with spaces',
      { secretAccessKey: 'not a secret key at all 0123456789' },
      'not a secret key at all',
      'a SecretAccessKey that is not 16-128 base64 characters'
    ],
    [
      'a session token with a line break',
      { sessionToken: 'IQoJb3JpZ2luX2Vj\n::warning::injected' },
      '::warning::injected',
      'a SessionToken that is not 16-16384 printable characters without spaces'
    ],
    [
      'an expiration in the past',
      { expirationText: '2001-01-01T00:00:00Z' },
      '2001-01-01',
      'an Expiration that has already passed (or the runner clock is ahead)'
    ],
    [
      'an expiration years away',
      { expirationText: '2199-01-01T00:00:00Z' },
      '2199',
      'an Expiration more than 12 hours away'
    ],
    [
      'an assumed-role ARN in another account',
      { assumedRoleArn: 'arn:aws:sts::999999999999:assumed-role/deploy/gha-4242-1' },
      '999999999999',
      'an AssumedRoleUser ARN other than arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1'
    ],
    [
      'an assumed-role ARN for another role',
      { assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/admin/gha-4242-1' },
      'assumed-role/admin',
      'an AssumedRoleUser ARN other than arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1'
    ]
  ])('%s', async (_name, tamper, badValue, what) => {
    emulation.sts.requests.length = 0;
    emulation.sts.tamper = (session) => ({ ...session, ...tamper });
    const main = await emulation.job().uses(emulation.inputs());
    emulation.sts.tamper = undefined;
    expect(main.exitCode).toBe(1);
    const errors = main.raw.split('\n').filter((line) => /^::(error|warning)/.test(line));
    expect(errors).toEqual([refusal(what)]);
    expect(main.raw).not.toContain(badValue);
    expect(main.exported).toEqual({});
    expect(emulation.sts.requests).toHaveLength(1);
  });

  it('a well-formed answer still passes (the check is not a blanket refusal)', async () => {
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.exitCode).toBe(0);
    expect(main.exported.AWS_ACCESS_KEY_ID).toBe(emulation.sts.issued.at(-1)!.accessKeyId);
  });
});
