/*
 * Everything the action writes — stdout, stderr, GITHUB_ENV, GITHUB_OUTPUT,
 * GITHUB_STATE, the step summary — across happy and failure paths, with RUNNER_DEBUG on
 * and off: no credential or token appears in clear except on its own add-mask line and
 * in the env/output files where the user asked for it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import type { StepResult } from '../../emulator/runner.ts';
import type { StsFault } from '../../emulator/sts-stub.ts';

interface Scenario {
  inputs?: Record<string, string>;
  faults?: StsFault[];
  trustNobody?: boolean;
  /** Whether the credentials may appear in GITHUB_ENV / GITHUB_OUTPUT. */
  inEnv: boolean;
  inOutputs: boolean;
}

const scenarios: Record<string, Scenario> = {
  'happy path': { inEnv: true, inOutputs: false },
  'output-credentials': { inputs: { 'output-credentials': 'true' }, inEnv: true, inOutputs: true },
  'outputs only': {
    inputs: { 'output-credentials': 'true', 'output-env-credentials': 'false' },
    inEnv: false,
    inOutputs: true
  },
  'masked account': { inputs: { 'mask-aws-account-id': 'true' }, inEnv: true, inOutputs: false },
  'retried throttling': { faults: ['throttle'], inEnv: true, inOutputs: false },
  'expired token, fetched again': { faults: ['expired-token'], inEnv: true, inOutputs: false },
  'AccessDenied with diagnosis': { trustNobody: true, inEnv: false, inOutputs: false },
  'account not allowed after STS issued credentials': {
    inputs: { 'allowed-account-ids': '210987654321', 'output-credentials': 'true' },
    inEnv: false,
    inOutputs: false
  },
  'written to a profile': { inputs: { 'aws-profile': 'deploy' }, inEnv: false, inOutputs: false }
};

const emulations: Emulation[] = [];
afterAll(() => Promise.all(emulations.map((emulation) => emulation.close())));

describe.each([false, true])('masking audit (RUNNER_DEBUG %s)', (debug) => {
  it.concurrent.each(Object.entries(scenarios))(
    '%s',
    async (_name, scenario) => {
      const emulation = await startEmulation();
      emulations.push(emulation);
      emulation.sts.faults.push(...(scenario.faults ?? []));
      if (scenario.trustNobody)
        emulation.sts.roles.forEach(
          (role) => (role.trust = { StringEquals: { 'token.actions.githubusercontent.com:sub': 'nobody' } })
        );
      // Profiles go to a private HOME, never the developer's own ~/.aws.
      const job = emulation.job({ debug, env: { HOME: mkdtempSync(join(tmpdir(), 'home-')) } });
      const steps: StepResult[] = [await job.uses(emulation.inputs(scenario.inputs))];
      steps.push(...(await job.runPosts()));

      const credentials = emulation.sts.issued.flatMap((issued) => [
        issued.accessKeyId,
        issued.secretAccessKey,
        issued.sessionToken
      ]);
      const tokens = emulation.sts.requests.map((request) => request.params.WebIdentityToken!).filter(Boolean);
      expect(tokens.length).toBeGreaterThan(0);
      if (!scenario.trustNobody) expect(credentials.length).toBeGreaterThan(0);

      for (const step of steps) {
        for (const secret of [...credentials, ...tokens]) {
          const lines = step.raw.split('\n').filter((line) => line.includes(secret));
          expect(lines.every((line) => line === `::add-mask::${secret}`)).toBe(true);
          expect(step.log.join('\n')).not.toContain(secret);
          expect(step.files.state).not.toContain(secret);
          expect(step.files.summary).not.toContain(secret);
        }
        for (const token of tokens) {
          expect(step.files.env).not.toContain(token);
          expect(step.files.output).not.toContain(token);
        }
        const requestToken = emulation.issuer.requestToken;
        expect(Object.values(step.files).join('') + step.raw).not.toContain(requestToken);
      }
      const [main] = steps;
      const lastIssued = emulation.sts.issued.at(-1);
      for (const secret of lastIssued ? [lastIssued.secretAccessKey, lastIssued.sessionToken] : []) {
        expect(main!.files.env.includes(secret)).toBe(scenario.inEnv);
        expect(main!.files.output.includes(secret)).toBe(scenario.inOutputs);
        // Announced before it was written anywhere, in the same run.
        expect(main!.raw).toContain(`::add-mask::${secret}`);
      }
    },
    30_000
  );
});
