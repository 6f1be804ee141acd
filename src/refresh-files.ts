/*
 * The refresh helper's folder under the job's RUNNER_TEMP (0700): what main leaves it
 * (params.json: the role, session and the job's token request; the bearer is a secret),
 * the credentials it got (cache-<profile>.json, secrets) and the lock that makes
 * concurrent helpers share one refresh. Every file is 0600, written atomically, and read
 * without following a link. Post removes the whole folder.
 */
import { closeSync, constants, lstatSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { readRegularFile, writeFileAtomic } from './aws-profile-files.ts';
import type { ProcessCredentials } from './credential-process.ts';
import { ActionError } from './errors.ts';
import type { OidcTokenService } from './oidc-token.ts';
import type { SessionTag } from './session-tags.ts';
import type { RoleTarget, Settings } from './settings.ts';

/** The profile later steps use (via AWS_PROFILE) when the user names none. */
export const DEFAULT_REFRESH_PROFILE = 'oidc-aws-credentials';

const FOLDER_PREFIX = 'oidc-aws-credentials-refresh-';
const PARAMS_FILE = 'params.json';

/** Everything the helper needs, fixed by main: the same request main made, every time. */
export interface RefreshParams {
  version: 1;
  /** Main's settings (a token file's path made absolute): the helper builds its credential source from them. */
  settings: Settings;
  /** Profile name → the role it refreshes. */
  targets: Record<string, RoleTarget>;
  /** Rendered once by main, so every refresh shows in CloudTrail under the same name. */
  sessionName: string;
  /** GitHub's token service (URL and bearer, a secret); absent with a token file. */
  tokenService?: OidcTokenService;
  /** role-chaining: main's session tags, sent again with every AssumeRole. */
  sessionTags?: SessionTag[];
  /**
   * role-chaining: the environment main's chain started from (the runner's own identity:
   * profile, IRSA, container or instance), which the helper uses instead of its own.
   * May hold a container authorization token: a secret, like the bearer.
   */
  chainStart?: Record<string, string>;
}

export function createRefreshFolder(runnerTemp: string | undefined): string {
  return mkdtempSync(nodePath.join(runnerTemp || tmpdir(), FOLDER_PREFIX));
}

export const paramsPathIn = (folder: string): string => nodePath.join(folder, PARAMS_FILE);
// Profile names are [\w.+-]{1,64} (settings.ts), safe as file names.
const cachePath = (folder: string, profile: string): string => nodePath.join(folder, `cache-${profile}.json`);
const lockPath = (folder: string, profile: string): string => nodePath.join(folder, `lock-${profile}`);

export function writeRefreshParams(folder: string, params: RefreshParams): string {
  const path = paramsPathIn(folder);
  writeFileAtomic(path, JSON.stringify(params));
  return path;
}

/** The params main wrote; the message never holds the file's content (it has the bearer). */
export function readRefreshParams(path: string): RefreshParams {
  let text: string | undefined;
  try {
    text = readRegularFile(path);
  } catch (error) {
    text = undefined;
    void error;
  }
  if (text === undefined) {
    throw new ActionError(
      `the helper's parameters ${path} are gone: the job that wrote them is over (post removed them), or this ` +
        'step runs where that path does not exist (a container); see README, Long jobs'
    );
  }
  try {
    const params = JSON.parse(text) as RefreshParams;
    if (params.version === 1 && typeof params.targets === 'object' && params.settings) return params;
  } catch {
    // reported below
  }
  throw new ActionError(`the helper's parameters ${path} are not what main wrote: re-run the job`);
}

/**
 * How long before expiry the cache stops serving credentials: 5 minutes (the JavaScript
 * SDK wants 5 left, botocore refreshes under 15 but accepts any not yet expired), or a
 * third of their lifetime when that is shorter. STS never issues under 15 minutes, so the
 * second case is only met with a test STS that issues short-lived credentials.
 */
export function refreshMarginMs(credentials: ProcessCredentials): number {
  const lifetime = Date.parse(credentials.expiration) - Date.parse(credentials.issuedAt);
  return Math.min(5 * 60_000, Math.max(0, lifetime) / 3);
}

/** The cached credentials while they are good for longer than the margin; undefined otherwise. */
export function freshCachedCredentials(folder: string, profile: string, now: number): ProcessCredentials | undefined {
  let cached: ProcessCredentials;
  try {
    const text = readRegularFile(cachePath(folder, profile));
    if (text === undefined) return undefined;
    cached = JSON.parse(text) as ProcessCredentials;
  } catch {
    return undefined;
  }
  if (typeof cached.accessKeyId !== 'string' || typeof cached.expiration !== 'string') return undefined;
  return Date.parse(cached.expiration) - now > refreshMarginMs(cached) ? cached : undefined;
}

export function writeCachedCredentials(folder: string, profile: string, credentials: ProcessCredentials): void {
  writeFileAtomic(cachePath(folder, profile), JSON.stringify(credentials));
}

/** A refresh takes at most the helper's deadline; a lock older than this is left by a killed helper. */
export const STALE_LOCK_MS = 45_000;

/**
 * Takes the profile's lock (a file created exclusively), or undefined when another
 * helper holds it. A lock older than STALE_LOCK_MS is removed and taken.
 */
export function tryLock(folder: string, profile: string, now: number): (() => void) | undefined {
  const path = lockPath(folder, profile);
  for (let tries = 0; tries < 2; tries += 1) {
    let fd: number;
    try {
      fd = openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
        0o600
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let age: number;
      try {
        age = now - lstatSync(path).mtimeMs;
      } catch {
        continue; // released meanwhile: try again
      }
      if (age <= STALE_LOCK_MS) return undefined;
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    return () => rmSync(path, { force: true });
  }
  return undefined;
}

/** Post: removes the folder with the params (the bearer) and the cached credentials. */
export function removeRefreshFolder(folder: string): void {
  if (!nodePath.basename(folder).startsWith(FOLDER_PREFIX)) {
    throw new Error(`not a refresh folder: ${folder}`);
  }
  rmSync(folder, { recursive: true, force: true });
}
