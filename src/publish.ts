import { ActionError } from './errors.ts';
import { CREDENTIAL_VARIABLES, REGION_VARIABLES, encodeCleanupState, fingerprint, type CleanupState } from './cleanup-state.ts';
import type { Settings } from './settings.ts';
import type { IssuedCredentials } from './sts-types.ts';

/** The runner commands publishing needs (a subset of @actions/core), injectable for tests. */
export interface RunnerCommands {
  setSecret(value: string): void;
  exportVariable(name: string, value: string): void;
  setOutput(name: string, value: string): void;
  saveState(name: string, value: string): void;
}

/** Announces every secret to the runner's masker. Must run before anything else is written. */
export function maskCredentials(runner: RunnerCommands, settings: Settings, credentials: IssuedCredentials): void {
  runner.setSecret(credentials.accessKeyId);
  runner.setSecret(credentials.secretAccessKey);
  runner.setSecret(credentials.sessionToken);
  if (settings.maskAccountId) {
    if (credentials.accountId) runner.setSecret(credentials.accountId);
    runner.setSecret(credentials.assumedRoleArn);
  }
}

/** Fails, before anything is exported, when the role lives in an account the user did not allow. */
export function checkAllowedAccount(settings: Settings, credentials: IssuedCredentials): void {
  if (settings.allowedAccountIds.length === 0) return;
  if (!settings.allowedAccountIds.includes(credentials.accountId)) {
    const account = settings.maskAccountId ? 'an account' : `account ${credentials.accountId || '(none)'}`;
    throw new ActionError(
      `The assumed role is in ${account} that is not in allowed-account-ids: check role-to-assume or add the account to allowed-account-ids`
    );
  }
}

/** Exports, sets outputs and saves the cleanup state. Returns what was saved for post. */
export function publishCredentials(runner: RunnerCommands, settings: Settings, credentials: IssuedCredentials): CleanupState {
  const exported: string[] = [];
  const exportVariable = (name: string, value: string): void => {
    runner.exportVariable(name, value);
    exported.push(name);
  };
  if (settings.outputEnvCredentials) {
    const values = [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken];
    CREDENTIAL_VARIABLES.forEach((name, index) => exportVariable(name, values[index]!));
  } else if (settings.unsetCurrentCredentials) {
    // Later steps must not keep using credentials from before this step.
    for (const name of CREDENTIAL_VARIABLES) runner.exportVariable(name, '');
  }
  for (const name of REGION_VARIABLES) exportVariable(name, settings.region);

  runner.setOutput('aws-account-id', credentials.accountId);
  runner.setOutput('authenticated-arn', credentials.assumedRoleArn);
  runner.setOutput('aws-expiration', credentials.expiration.toISOString());
  if (settings.outputCredentials) {
    runner.setOutput('aws-access-key-id', credentials.accessKeyId);
    runner.setOutput('aws-secret-access-key', credentials.secretAccessKey);
    runner.setOutput('aws-session-token', credentials.sessionToken);
  }

  const state: CleanupState = {
    variables: settings.cleanup ? exported : [],
    accessKeyFingerprint: fingerprint(credentials.accessKeyId),
    region: settings.region
  };
  runner.saveState(...encodeCleanupState(state));
  return state;
}
