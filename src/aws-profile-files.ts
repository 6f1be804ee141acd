/*
 * Writing AWS profiles to the shared credentials and config files, and removing them
 * again in post. Each section we write is preceded by a marker comment carrying a
 * random nonce, so post removes exactly those sections and leaves every other byte.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ActionError } from './errors.ts';

export interface ProfileFiles {
  credentials: string;
  config: string;
}

/** What post needs to undo our writes: the marker, and per file whether we created it or added a newline. */
export interface ProfileCleanup {
  marker: string;
  files: { path: string; created: boolean; addedNewline: boolean }[];
}

export interface ProfileEntry {
  profile: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  region: string;
}

/** The files the AWS CLI and SDKs read, honouring their override variables. */
export function profileFilesFrom(env: NodeJS.ProcessEnv): ProfileFiles {
  const home = env.HOME || homedir();
  return {
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
    config: env.AWS_CONFIG_FILE || join(home, '.aws', 'config')
  };
}

// ---- pure text editing -------------------------------------------------------

const credentialsHeader = (profile: string): string => `[${profile}]`;
const configHeader = (profile: string): string => (profile === 'default' ? '[default]' : `[profile ${profile}]`);
export const markerLine = (marker: string): string =>
  `# ${marker}: written by oidc-aws-credentials, removed at the end of the job`;

/** Line ranges [start, end) of the section whose header is `header`, or undefined. */
function sectionRange(lines: string[], header: string): [number, number] | undefined {
  const start = lines.findIndex((line) => line.trim() === header);
  if (start === -1) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end]!)) end += 1;
  return [start, end];
}

export function hasSection(text: string, header: string): boolean {
  return sectionRange(text.split('\n'), header) !== undefined;
}

/** Removes a section (header to the next header), for overwrite-aws-profile. */
export function withoutSection(text: string, header: string): string {
  const lines = text.split('\n');
  const range = sectionRange(lines, header);
  if (!range) return text;
  lines.splice(range[0], range[1] - range[0]);
  return lines.join('\n');
}

/** Appends a block; a file not ending in a newline gets one first (reported, so post can take it back). */
export function appendBlock(text: string, block: string): { text: string; addedNewline: boolean } {
  const addedNewline = text !== '' && !text.endsWith('\n');
  return { text: `${text}${addedNewline ? '\n' : ''}${block}`, addedNewline };
}

/** Removes every block that starts with our marker line: the marker, its header and its key lines. */
export function withoutMarkedBlocks(text: string, marker: string, addedNewline: boolean): string {
  const escaped = markerLine(marker).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const block = new RegExp(`^${escaped}\\n\\[[^\\n]*\\]\\n(?:(?![\\t ]*\\[|# )[^\\n]*(?:\\n|$))*`, 'gm');
  const result = text.replace(block, '');
  if (result === text) return text;
  // When the original file did not end in a newline, take back the one we added before our block.
  return addedNewline && result.endsWith('\n') ? result.slice(0, -1) : result;
}

export function credentialsBlock(marker: string, entry: ProfileEntry): string {
  return [
    markerLine(marker),
    credentialsHeader(entry.profile),
    `aws_access_key_id = ${entry.accessKeyId}`,
    `aws_secret_access_key = ${entry.secretAccessKey}`,
    `aws_session_token = ${entry.sessionToken}`,
    ''
  ].join('\n');
}

export function configBlock(marker: string, entry: ProfileEntry): string {
  return [markerLine(marker), configHeader(entry.profile), `region = ${entry.region}`, ''].join('\n');
}

// ---- file I/O --------------------------------------------------------------------

function refuseSymlink(path: string, inputName: string): void {
  for (const candidate of [path, dirname(path)]) {
    if (existsSync(candidate) && lstatSync(candidate).isSymbolicLink()) {
      throw new ActionError(
        `Refusing to write AWS profiles through the symbolic link ${candidate}: replace it with a regular file, or point ${inputName} elsewhere`
      );
    }
  }
}

/**
 * Checks, before any request, that the profiles can be written: no symbolic links, and
 * no existing section of the same name unless overwrite-aws-profile is true.
 */
export function checkProfilesWritable(files: ProfileFiles, profiles: string[], overwrite: boolean): void {
  refuseSymlink(files.credentials, 'AWS_SHARED_CREDENTIALS_FILE');
  refuseSymlink(files.config, 'AWS_CONFIG_FILE');
  if (overwrite) return;
  const existing = existsSync(files.credentials) ? readFileSync(files.credentials, 'utf8') : '';
  const taken = profiles.find((profile) => hasSection(existing, credentialsHeader(profile)));
  if (taken !== undefined) {
    throw new ActionError(
      `Profile "${taken}" already exists in ${files.credentials}: choose another profile name, or set overwrite-aws-profile: true to replace it`
    );
  }
}

/** Writes every profile to both files (mode 0600). Returns what post needs to remove them. */
export function writeProfiles(files: ProfileFiles, entries: ProfileEntry[], overwrite: boolean): ProfileCleanup {
  const marker = `oidc-aws-credentials-${randomBytes(8).toString('hex')}`;
  const write = (path: string, header: (profile: string) => string, block: (entry: ProfileEntry) => string) => {
    refuseSymlink(path, 'the AWS file variables');
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const created = !existsSync(path);
    let text = created ? '' : readFileSync(path, 'utf8');
    if (overwrite) for (const entry of entries) text = withoutSection(text, header(entry.profile));
    const appended = appendBlock(text, entries.map(block).join(''));
    // Create with 0600 so the secret is never readable by others, even briefly.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    writeFileSync(path, appended.text, { encoding: 'utf8', mode: 0o600 });
    return { path, created, addedNewline: appended.addedNewline };
  };
  return {
    marker,
    files: [
      write(files.credentials, credentialsHeader, (entry) => credentialsBlock(marker, entry)),
      write(files.config, configHeader, (entry) => configBlock(marker, entry))
    ]
  };
}

/** Post: removes our blocks; deletes a file we created if nothing else is left in it. */
export function removeProfiles(cleanup: ProfileCleanup): string[] {
  const changed: string[] = [];
  for (const file of cleanup.files) {
    if (!existsSync(file.path) || lstatSync(file.path).isSymbolicLink()) continue;
    const before = readFileSync(file.path, 'utf8');
    const after = withoutMarkedBlocks(before, cleanup.marker, file.addedNewline);
    if (after === before) continue;
    if (file.created && after.trim() === '') unlinkSync(file.path);
    else writeFileSync(file.path, after, 'utf8');
    changed.push(file.path);
  }
  return changed;
}
