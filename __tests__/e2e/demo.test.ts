import { spawnSync } from 'node:child_process';
import { platformEnv, REPO_ROOT } from '../../emulator/runner.ts';

describe('npm run demo', () => {
  it('shows the assumed role, the later step’s identity and the cleared variables, and exits 0', () => {
    const demo = spawnSync(process.execPath, ['emulator/demo.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...platformEnv(), HOME: process.env.HOME ?? '' }
    });
    expect(demo.stderr).toBe('');
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(
      /\| Assumed arn:aws:iam::123456789012:role\/deploy as session gha-4242-1; credentials expire/
    );
    expect(demo.stdout).toMatch(/"Arn": ?"arn:aws:sts::123456789012:assumed-role\/deploy\/gha-4242-1"/);
    expect(demo.stdout).toContain('AWS_SECRET_ACCESS_KEY=""');
    expect(demo.stdout).toContain('Demo passed');
    // Its output is a pipe here, as in a CI log or `npm run demo > file`: no terminal escape codes.
    expect(demo.stdout).toContain('\n== Step 1: uses: ./  (main)\n');
    expect(demo.stdout).not.toContain('\x1b');
  });
});
