import { createHash } from 'node:crypto';
import type { ProfileCleanup } from './aws-profile-files.ts';

/**
 * What main tells post, through GITHUB_STATE, about what it exported. No secret goes
 * here: only variable names, the region, and a fingerprint of the access key id that
 * lets post tell our credentials from ones a later step exported.
 */
export interface CleanupState {
  variables: string[];
  accessKeyFingerprint: string;
  region: string;
  /** The profile sections main wrote, to be removed. */
  profiles?: ProfileCleanup;
  /** refresh-credentials: the helper's folder (params with the job's token request, cached credentials). */
  refreshFolder?: string;
  /** The AWS_PROFILE main exported (refresh-credentials), cleared while it still has this value. */
  awsProfile?: string;
}

const STATE_KEY = 'cleanup';

export function fingerprint(accessKeyId: string): string {
  return createHash('sha256').update(accessKeyId).digest('hex');
}

export function encodeCleanupState(state: CleanupState): [key: string, value: string] {
  return [STATE_KEY, JSON.stringify(state)];
}

/** Reads the state back in post; undefined when main saved none (it failed or exported nothing). */
export function decodeCleanupState(env: NodeJS.ProcessEnv): CleanupState | undefined {
  const raw = env[`STATE_${STATE_KEY}`];
  if (!raw) return undefined;
  const parsed = JSON.parse(raw) as Partial<CleanupState>;
  if (!Array.isArray(parsed.variables) || typeof parsed.accessKeyFingerprint !== 'string') return undefined;
  return {
    variables: parsed.variables.map(String),
    accessKeyFingerprint: parsed.accessKeyFingerprint,
    region: String(parsed.region ?? ''),
    ...(parsed.profiles && typeof parsed.profiles.marker === 'string' && Array.isArray(parsed.profiles.files)
      ? { profiles: parsed.profiles }
      : {}),
    ...(typeof parsed.refreshFolder === 'string' ? { refreshFolder: parsed.refreshFolder } : {}),
    ...(typeof parsed.awsProfile === 'string' ? { awsProfile: parsed.awsProfile } : {})
  };
}

export const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
export const REGION_VARIABLES = ['AWS_REGION', 'AWS_DEFAULT_REGION'];
export const PROFILE_VARIABLE = 'AWS_PROFILE';

/**
 * Which of main's variables post may clear: credentials only while the access key id
 * is still ours, the region only while it still has our value.
 */
export function variablesToClear(state: CleanupState, env: NodeJS.ProcessEnv): string[] {
  const keyStillOurs = fingerprint(env.AWS_ACCESS_KEY_ID ?? '') === state.accessKeyFingerprint;
  return state.variables.filter((name) => {
    if (CREDENTIAL_VARIABLES.includes(name)) return keyStillOurs;
    if (REGION_VARIABLES.includes(name)) return env[name] === state.region;
    if (name === PROFILE_VARIABLE) return env[name] === state.awsProfile;
    return false;
  });
}
