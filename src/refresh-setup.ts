/*
 * Main's side of refresh-credentials: the helper's folder with its params (the job's
 * token request included: see README, Long jobs, for why the helper does not rely on
 * the environment) and a cache seeded with the credentials main just got, so the first
 * AWS command is a cache hit. Returns the credential_process line for each profile.
 */
import nodePath from 'node:path';
import { credentialProcessLine } from './credential-process.ts';
import { chainStartFrom } from './credential-sources.ts';
import { oidcTokenServiceFrom } from './oidc-token.ts';
import { createRefreshFolder, writeCachedCredentials, writeRefreshParams } from './refresh-files.ts';
import type { SessionTag } from './session-tags.ts';
import type { RoleTarget, Settings } from './settings.ts';
import type { IssuedCredentials } from './sts-types.ts';

export { DEFAULT_REFRESH_PROFILE } from './refresh-files.ts';

export interface RefreshSetup {
  folder: string;
  /** The credential_process line for a profile. */
  commandFor(profile: string): string;
}

export interface RefreshSetupOptions {
  settings: Settings;
  env: NodeJS.ProcessEnv;
  sessionName: string;
  /** Sent with AssumeRole (role-chaining) on every refresh, as main sent them. */
  sessionTags: SessionTag[];
  roles: { profile: string; target: RoleTarget; credentials: IssuedCredentials }[];
  /** The Node that runs this step, and this action's dist folder. */
  nodePath: string;
  distFolder: string;
  platform: NodeJS.Platform;
  now: number;
  /** Called with the folder before anything secret is written there (main saves post's state). */
  beforeSecret(folder: string): void;
}

export function setUpRefresh(options: RefreshSetupOptions): RefreshSetup {
  const { settings, env } = options;
  const { identity } = settings;
  const tokenFile = identity.webIdentityTokenFile;
  const folder = createRefreshFolder(env.RUNNER_TEMP || undefined);
  options.beforeSecret(folder);
  const paramsPath = writeRefreshParams(folder, {
    version: 1,
    settings: {
      ...settings,
      identity: {
        ...identity,
        // The helper runs wherever a command runs: the token file's path must not depend on it.
        ...(tokenFile
          ? { webIdentityTokenFile: nodePath.resolve(env.GITHUB_WORKSPACE ?? process.cwd(), tokenFile) }
          : {})
      }
    },
    targets: Object.fromEntries(options.roles.map(({ profile, target }) => [profile, target])),
    sessionName: options.sessionName,
    ...(identity.source === 'github-oidc' ? { tokenService: oidcTokenServiceFrom(env) } : {}),
    ...(identity.source === 'role-chaining'
      ? { sessionTags: options.sessionTags, chainStart: chainStartFrom(env) }
      : {})
  });
  for (const { profile, credentials } of options.roles) {
    writeCachedCredentials(folder, profile, {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration.toISOString(),
      issuedAt: new Date(options.now).toISOString()
    });
  }
  const helper = nodePath.join(options.distFolder, 'refresh', 'index.js');
  return {
    folder,
    commandFor: (profile) => credentialProcessLine([options.nodePath, helper, paramsPath, profile], options.platform)
  };
}
