/*
 * The deadline and the size cap hold against servers that never finish or never stop:
 * a trickling STS or token service ends the step at action-timeout-s with an error that
 * names what it waited for, and a huge body is cut off at 1 MiB. The harness kills a
 * step still running after 40 s; such a step has no exit code and fails these tests.
 */
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import type { OidcFault } from '../../emulator/oidc-issuer.ts';
import type { StsFault } from '../../emulator/sts-stub.ts';

const emulations: Emulation[] = [];
afterAll(() => Promise.all(emulations.map((emulation) => emulation.close())));

async function runWith(faults: { sts?: StsFault[]; oidc?: OidcFault[] }, inputs: Record<string, string> = {}) {
  const emulation = await startEmulation();
  emulations.push(emulation);
  emulation.sts.faults.push(...(faults.sts ?? []));
  emulation.issuer.faults.push(...(faults.oidc ?? []));
  const main = await emulation.job({ killAfterMs: 40_000 }).uses(emulation.inputs(inputs));
  const errors = main.raw.split('\n').filter((line) => line.startsWith('::error'));
  return { main, emulation, errors };
}

const TRICKLE = { trickleIntervalMs: 2000 };
const HUGE = { hugeBodyBytes: 300 * 1024 * 1024 };

describe('a server that sends headers and then a byte every 2 s', () => {
  it.concurrent.each([
    ['STS', { sts: [TRICKLE] }, 'STS AssumeRoleWithWebIdentity'],
    ['the token service', { oidc: [TRICKLE] }, "GitHub's OIDC token"]
  ])(
    '%s: the step ends at action-timeout-s 10 naming what it waited for',
    async (_name, faults, what) => {
      const { main, errors } = await runWith(faults, { 'action-timeout-s': '10' });
      expect(main.exitCode).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        new RegExp(
          `^::error::Gave up waiting for ${what}( \\([^)]+\\))? at the action-timeout-s deadline \\(last error: ` +
            `.*no complete answer within \\d+\\.\\d s\\)?\\): retry the job later or raise action-timeout-s$`
        )
      );
      expect(main.exported).toEqual({});
    },
    45_000
  );
});

describe('a 300 MiB body', () => {
  it.concurrent(
    'from STS (an error): cut off at 1 MiB, and the call is retried',
    async () => {
      const { main, emulation } = await runWith({ sts: [HUGE] });
      expect(main.exitCode).toBe(0);
      expect(main.log).toContainEqual(
        expect.stringMatching(
          new RegExp(
            '^Attempt 1 of 12 for STS AssumeRoleWithWebIdentity( \\([^)]+\\))? failed: BodyTooLarge ' +
              '\\(a body over 1 MiB, more than the service ever sends\\); retrying in'
          )
        )
      );
      expect(main.exported.AWS_ACCESS_KEY_ID).toBe(emulation.sts.issued[0]!.accessKeyId);
    },
    45_000
  );

  it.concurrent(
    'from the token service (a 200): cut off at 1 MiB, and the step fails at once',
    async () => {
      const { main, emulation, errors } = await runWith({ oidc: [HUGE] });
      expect(main.exitCode).toBe(1);
      expect(errors).toEqual([
        "::error::GitHub's OIDC token service answered with a body over 1 MiB, more than the service ever sends: " +
          "re-run the job; if it persists, GitHub's token service is at fault"
      ]);
      expect(emulation.issuer.tokenRequests).toHaveLength(1);
      expect(emulation.sts.requests).toHaveLength(0);
    },
    45_000
  );
});
