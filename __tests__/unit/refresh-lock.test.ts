/*
 * The helper's wait for another helper's refresh is bounded: with the lock held and
 * never released, it gives up at its deadline with one line, having asked nothing.
 * A clock that moves only when the helper sleeps shows the bound without waiting for it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionError } from '../../src/errors.ts';
import { paramsPathIn, STALE_LOCK_MS, writeRefreshParams, type RefreshParams } from '../../src/refresh-files.ts';
import { HELPER_DEADLINE_MS, refreshedCredentials } from '../../src/run-refresh.ts';
import { readSettings } from '../../src/settings.ts';

it('gives up waiting on a live lock at its deadline, before the lock would count as stale', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'oidc-aws-credentials-refresh-'));
  const settings = readSettings(
    (name) => ({ 'role-to-assume': 'arn:aws:iam::123456789012:role/deploy', 'aws-region': 'eu-west-2' })[name] ?? ''
  );
  const params: RefreshParams = {
    version: 1,
    settings,
    targets: { deploy: settings.identity.targets[0]! },
    sessionName: 'gha-1-1',
    // Nothing listens there: reaching it would be a failure of another kind.
    tokenService: { url: 'http://127.0.0.1:9/token', bearer: 'bearer' }
  };
  writeRefreshParams(folder, params);
  writeFileSync(join(folder, 'lock-deploy'), '1');
  let now = Date.now();
  const start = now;
  let sleeps = 0;
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps += 1;
      now += ms;
    },
    random: () => 0.5
  };
  const refresh = refreshedCredentials(paramsPathIn(folder), 'deploy', clock, {});
  refresh.catch(() => undefined).finally(() => rmSync(folder, { recursive: true, force: true }));
  await expect(refresh).rejects.toThrow(ActionError);
  await expect(refresh).rejects.toThrow('gave up after 30 s waiting for another refresh of profile "deploy" to finish');
  expect(sleeps).toBeGreaterThan(10);
  expect(now - start).toBeLessThanOrEqual(HELPER_DEADLINE_MS);
  expect(HELPER_DEADLINE_MS).toBeLessThan(STALE_LOCK_MS);
});
