import { startEmulation, type Emulation } from '../../emulator/emulation.ts';

let emulation: Emulation;
beforeEach(async () => {
  emulation = await startEmulation();
});
afterEach(() => emulation.close());

describe('job summary', () => {
  it('shows role, session, account, region, audience, the token sub and the expiry', async () => {
    emulation.issuer.run = { ...emulation.issuer.run, form: 'environment', name: 'production' };
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.summary).toMatch(
      new RegExp(
        [
          '### AWS credentials',
          '',
          '\\| \\| \\|',
          '\\|---\\|---\\|',
          '\\| Role \\| <code>arn:aws:iam::123456789012:role/deploy</code> \\|',
          '\\| Account \\| <code>123456789012</code> \\|',
          '\\| Expires \\| \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000Z \\(in 60 min\\) \\|',
          '\\| Session name \\| <code>gha-4242-1</code> \\|',
          '\\| Region \\| <code>eu-west-2</code> \\|',
          '\\| Audience \\| <code>sts.amazonaws.com</code> \\|',
          "\\| Token's sub \\| <code>repo:octo-org/octo-repo:environment:production</code> \\|"
        ].join('\\n')
      )
    );
  });

  it('hides the account when mask-aws-account-id is set', async () => {
    const main = await emulation.job().uses(emulation.inputs({ 'mask-aws-account-id': 'true' }));
    expect(main.summary).toContain('| Account | (masked: mask-aws-account-id) |');
  });

  it('carries the diagnosis on failure', async () => {
    emulation.sts.roles.forEach(
      (role) => (role.trust = { StringEquals: { 'token.actions.githubusercontent.com:sub': 'nobody' } })
    );
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.summary).toMatch(
      /^### AWS credentials: failed\n\n<b>STS refused arn:aws:iam::123456789012:role\/deploy for this run: AccessDenied/
    );
    expect(main.summary).toContain(
      "<pre>\nThe token's claims (the token itself is never printed):\n  sub: repo:octo-org/octo-repo:ref:refs/heads/main\n"
    );
  });

  it('is summarised even when an input is invalid, and not at all with job-summary: false', async () => {
    const invalid = await emulation.job().uses(emulation.inputs({ 'role-duration-seconds': '1' }));
    expect(invalid.summary).toContain('<b>Input role-duration-seconds "1" must be');
    const off = await emulation.job().uses(emulation.inputs({ 'job-summary': 'false' }));
    expect(off.exitCode).toBe(0);
    expect(off.summary).toBe('');
  });
});
