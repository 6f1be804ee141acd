import {
  CREDENTIAL_VARIABLES,
  PROFILE_VARIABLE,
  REGION_VARIABLES,
  encodeCleanupState,
  fingerprint,
  type CleanupState
} from './cleanup-state.ts';
import type { ProfileCleanup, ProfileEntry } from './aws-profile-files.ts';
import { ActionError } from './errors.ts';
import type { OutputSettings, RoleTarget } from './settings.ts';
import type { IssuedCredentials } from './sts-types.ts';

/** The runner commands publishing needs (workflow-commands.ts in a step), injectable for tests. */
export interface RunnerCommands {
  setSecret(value: string): void;
  exportVariable(name: string, value: string): void;
  setOutput(name: string, value: string): void;
  saveState(name: string, value: string): void;
}

export interface AssumedRole {
  target: RoleTarget;
  credentials: IssuedCredentials;
}

/** Announces every secret to the runner's masker. Must run before anything else is written. */
export function maskCredentials(runner: RunnerCommands, outputs: OutputSettings, credentials: IssuedCredentials): void {
  runner.setSecret(credentials.accessKeyId);
  runner.setSecret(credentials.secretAccessKey);
  runner.setSecret(credentials.sessionToken);
  if (outputs.maskAccountId) {
    if (credentials.accountId) runner.setSecret(credentials.accountId);
    runner.setSecret(credentials.assumedRoleArn);
  }
}

/** Fails, before anything is exported, when a role lives in an account the user did not allow. */
export function checkAllowedAccounts(outputs: OutputSettings, roles: AssumedRole[]): void {
  if (outputs.allowedAccountIds.length === 0) return;
  for (const { target, credentials } of roles) {
    if (outputs.allowedAccountIds.includes(credentials.accountId)) continue;
    const account = outputs.maskAccountId ? 'an account' : `account ${credentials.accountId || '(none)'}`;
    const which = roles.length > 1 ? `Profile "${target.profile}": the role` : 'The assumed role';
    throw new ActionError(
      `${which} is in ${account} that is not in allowed-account-ids: check role-to-assume or add the account ` +
        'to allowed-account-ids'
    );
  }
}

/** refresh-credentials: profiles with a credential_process instead of keys. */
export interface RefreshPublishing {
  folder: string;
  commandFor(profile: string): string;
  /** Exported as AWS_PROFILE: the profile when the user named none. */
  exportProfile?: string;
  /** The credential variables set in the environment now: blanked, or they would win over the profile. */
  keysToBlank: string[];
}

/**
 * Writes profiles, exports, sets outputs and saves the cleanup state. Everything was
 * masked and checked before. Post's state is saved before a secret reaches a file, so
 * post can always find what main wrote; a failed write rolls itself back and the state
 * is saved again without it.
 */
export function publishCredentials(
  runner: RunnerCommands,
  outputs: OutputSettings,
  roles: AssumedRole[],
  writeProfiles: (entries: ProfileEntry[], beforeSecret: (cleanup: ProfileCleanup) => void) => ProfileCleanup,
  refresh?: RefreshPublishing
): void {
  const first = roles[0]!.credentials;
  const entries: ProfileEntry[] = roles.flatMap(({ target, credentials }): ProfileEntry[] =>
    target.profile === undefined
      ? []
      : refresh
        ? [{ profile: target.profile, region: outputs.region, credentialProcess: refresh.commandFor(target.profile) }]
        : [
            {
              profile: target.profile,
              accessKeyId: credentials.accessKeyId,
              secretAccessKey: credentials.secretAccessKey,
              sessionToken: credentials.sessionToken,
              region: outputs.region
            }
          ]
  );
  const stateWith = (variables: string[], profiles: ProfileCleanup | undefined): CleanupState => ({
    variables: outputs.cleanup ? variables : [],
    accessKeyFingerprint: fingerprint(first.accessKeyId),
    region: outputs.region,
    ...(outputs.cleanup && profiles ? { profiles } : {}),
    ...(outputs.cleanup && refresh ? { refreshFolder: refresh.folder } : {}),
    ...(outputs.cleanup && refresh?.exportProfile ? { awsProfile: refresh.exportProfile } : {})
  });
  let profiles: ProfileCleanup | undefined;
  if (entries.length) {
    try {
      profiles = writeProfiles(entries, (cleanup) => runner.saveState(...encodeCleanupState(stateWith([], cleanup))));
    } catch (error) {
      runner.saveState(...encodeCleanupState(stateWith([], undefined)));
      throw error;
    }
  }

  const exported: string[] = [];
  const exportVariable = (name: string, value: string): void => {
    runner.exportVariable(name, value);
    exported.push(name);
  };
  if (outputs.envCredentials) {
    const values = [first.accessKeyId, first.secretAccessKey, first.sessionToken];
    CREDENTIAL_VARIABLES.forEach((name, index) => exportVariable(name, values[index]!));
  } else if (refresh) {
    // Keys in the environment win over any profile in every AWS tool: blank them.
    for (const name of refresh.keysToBlank) runner.exportVariable(name, '');
    if (refresh.exportProfile) exportVariable(PROFILE_VARIABLE, refresh.exportProfile);
  } else if (outputs.unsetCurrentCredentials) {
    // Later steps must not keep using credentials from before this step.
    for (const name of CREDENTIAL_VARIABLES) runner.exportVariable(name, '');
  }
  for (const name of REGION_VARIABLES) exportVariable(name, outputs.region);

  if (roles.length === 1) {
    runner.setOutput('aws-account-id', first.accountId);
    runner.setOutput('authenticated-arn', first.assumedRoleArn);
    runner.setOutput('aws-expiration', first.expiration.toISOString());
    if (outputs.stepCredentials) {
      runner.setOutput('aws-access-key-id', first.accessKeyId);
      runner.setOutput('aws-secret-access-key', first.secretAccessKey);
      runner.setOutput('aws-session-token', first.sessionToken);
    }
  }

  runner.saveState(...encodeCleanupState(stateWith(exported, profiles)));
}
