/*
 * Writing AWS profiles to the shared credentials and config files, and taking them out
 * again in post. Each section we write is preceded by a marker comment carrying a random
 * nonce, so post removes exactly those sections and leaves every other byte; a section
 * that overwrite-aws-profile replaced is kept in a 0600 file under RUNNER_TEMP and put
 * back in its place.
 *
 * Jobs that never ran post (cancelled, runner killed) leave their sections behind on a
 * self-hosted runner. Telling such an orphan from a section of a job still running on
 * the same machine uses a lease: main creates an empty file under the job's RUNNER_TEMP
 * and names it in the marker; post deletes it. The runner empties RUNNER_TEMP when its
 * next job starts, so a lease that is gone means the job that wrote the section is over.
 * A job running concurrently (another runner sharing the home folder) has its own
 * RUNNER_TEMP, so its lease exists and its sections are never touched. Without
 * RUNNER_TEMP no lease is written and such sections count as live: never replaced.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeSync
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import nodePath, { posix, win32, type PlatformPath } from 'node:path';
import { ActionError } from './errors.ts';
import { neutralise } from './external-text.ts';

export interface ProfileFiles {
  credentials: string;
  config: string;
}

/** A section overwrite-aws-profile replaced: its header, and the 0600 file holding its original text. */
export interface ReplacedSection {
  header: string;
  backup: string;
}

/** What post needs to undo our writes. Holds no secret: paths, headers, the marker nonce. */
export interface ProfileCleanup {
  marker: string;
  /** The lease file post deletes, so a later run sees this job's sections as live until then. */
  lease?: string;
  files: { path: string; created: boolean; addedNewline: boolean; replaced?: ReplacedSection[] }[];
}

/** A profile with static keys: the keys go to the credentials file, the region to the config file. */
export interface KeyProfileEntry {
  profile: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  region: string;
}

/**
 * A profile whose credentials come from a command (refresh-credentials): the config file
 * gets the region and the credential_process line; the credentials file gets nothing
 * (unless a section of that name must be replaced). Holds no secret.
 */
export interface ProcessProfileEntry {
  profile: string;
  region: string;
  /** The whole command line, already quoted for the platform (see credential-process.ts). */
  credentialProcess: string;
}

export type ProfileEntry = KeyProfileEntry | ProcessProfileEntry;

const hasKeys = (entry: ProfileEntry): entry is KeyProfileEntry => 'accessKeyId' in entry;

/** The run that writes the sections, recorded in the marker so a later run can name it. */
export interface RunIdentity {
  runId: string;
  runAttempt: string;
}

/** Everything the writer needs from its surroundings, so the logic runs for any platform. */
export interface ProfileContext {
  files: ProfileFiles;
  overwrite: boolean;
  /** The job's RUNNER_TEMP: lease and backups go here. Undefined outside a runner. */
  runnerTemp: string | undefined;
  run: RunIdentity;
  /** End of line for files we create: CRLF on Windows. */
  newFileEol: string;
  warn(message: string): void;
}

export const pathModuleFor = (platform: NodeJS.Platform): PlatformPath => (platform === 'win32' ? win32 : posix);

/**
 * The files the AWS CLI and SDKs read, honouring their override variables. The home
 * folder is HOME, or USERPROFILE on Windows (where HOME is usually unset).
 */
export function profileFilesFrom(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  fallbackHome: () => string = homedir
): ProfileFiles {
  const path = pathModuleFor(platform);
  const home = (platform === 'win32' ? env.USERPROFILE || env.HOME : env.HOME) || fallbackHome();
  return {
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials'),
    config: env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config')
  };
}

export function profileContextFrom(
  env: NodeJS.ProcessEnv,
  overwrite: boolean,
  warn: (message: string) => void,
  platform: NodeJS.Platform = process.platform
): ProfileContext {
  return {
    files: profileFilesFrom(env, platform),
    overwrite,
    runnerTemp: env.RUNNER_TEMP || undefined,
    run: { runId: env.GITHUB_RUN_ID ?? '', runAttempt: env.GITHUB_RUN_ATTEMPT ?? '' },
    newFileEol: platform === 'win32' ? '\r\n' : '\n',
    warn
  };
}

// ---- pure text editing -------------------------------------------------------

export const credentialsHeader = (profile: string): string => `[${profile}]`;
export const configHeader = (profile: string): string => (profile === 'default' ? '[default]' : `[profile ${profile}]`);

/** The file's own line ending (from its first line break), else the one for new files. */
export function eolOf(text: string, newFileEol: string): string {
  const index = text.indexOf('\n');
  if (index === -1) return newFileEol;
  return index > 0 && text[index - 1] === '\r' ? '\r\n' : '\n';
}

// Control characters: C0 and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Refuses a value that could break out of its line: a line break in a token from STS
 * would otherwise add sections (e.g. a credential_process) to the user's files. The
 * message names the field, never the value.
 */
export function checkEntries(entries: ProfileEntry[]): void {
  const fields: [string, string][] = [
    ['profile', 'the profile name'],
    ['accessKeyId', 'the access key id from STS'],
    ['secretAccessKey', 'the secret access key from STS'],
    ['sessionToken', 'the session token from STS'],
    ['region', 'the region'],
    ['credentialProcess', 'the credential_process command (a path)']
  ];
  for (const entry of entries) {
    for (const [field, what] of fields) {
      const value = (entry as unknown as Record<string, unknown>)[field];
      if (typeof value === 'string' && CONTROL.test(value)) {
        const which = field === 'profile' ? 'a profile' : `profile "${entry.profile}"`;
        throw new ActionError(
          `Refusing to write ${which}: ${what} contains a control character (such as a line break), ` +
            'which could add sections to the AWS files; nothing was written'
        );
      }
    }
  }
}

export interface Marker {
  nonce: string;
  runId?: string;
  runAttempt?: string;
  lease?: string;
}

const MARKER = new RegExp(
  '^# (oidc-aws-credentials-[0-9a-f]{16}): written by oidc-aws-credentials' +
    '(?: for run (\\d{1,20}) attempt (\\d{1,6}))?, removed at the end of the job(?:; lease: ([^\\u0000-\\u001f\\u007f]+))?$'
);

/** The marker for this run; parts that would not read back (odd run ids, a lease path with control characters) are left out. */
export function markerFor(nonce: string, run: RunIdentity, lease: string | undefined): Marker {
  const runKnown = /^\d{1,20}$/.test(run.runId) && /^\d{1,6}$/.test(run.runAttempt);
  return {
    nonce,
    ...(runKnown ? { runId: run.runId, runAttempt: run.runAttempt } : {}),
    ...(lease !== undefined && !CONTROL.test(lease) ? { lease } : {})
  };
}

export function markerLine(marker: Marker): string {
  const run = marker.runId && marker.runAttempt ? ` for run ${marker.runId} attempt ${marker.runAttempt}` : '';
  const lease = marker.lease ? `; lease: ${marker.lease}` : '';
  return `# ${marker.nonce}: written by oidc-aws-credentials${run}, removed at the end of the job${lease}`;
}

export function parseMarker(line: string): Marker | undefined {
  const match = MARKER.exec(line.replace(/\r$/, ''));
  if (!match) return undefined;
  return {
    nonce: match[1]!,
    ...(match[2] ? { runId: match[2], runAttempt: match[3]! } : {}),
    ...(match[4] ? { lease: match[4] } : {})
  };
}

interface Line {
  /** Without its line ending. */
  text: string;
  start: number;
  /** Offset after its line ending. */
  end: number;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline + 1;
    lines.push({ text: text.slice(start, newline === -1 ? end : newline).replace(/\r$/, ''), start, end });
    start = end;
  }
  return lines;
}

const isHeader = (line: string): boolean => /^\s*\[/.test(line);

/** A section of a file: its header line up to the next header (or one of our markers). */
export interface Section {
  header: string;
  start: number;
  end: number;
  /** The marker line just above it, when we wrote it. Its offsets include the marker. */
  marker?: Marker;
}

/** Every section of the file, with our marked blocks told apart from the user's sections. */
export function sectionsOf(text: string): Section[] {
  const lines = linesOf(text);
  const sections: Section[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const marker = parseMarker(lines[index]!.text);
    const headerIndex = marker ? index + 1 : index;
    const headerLine = lines[headerIndex];
    if (!headerLine || !isHeader(headerLine.text)) continue;
    let end = headerIndex + 1;
    // Our blocks end at their last key line; a user's section runs to the next header or marker.
    const stop = (line: string): boolean =>
      isHeader(line) || parseMarker(line) !== undefined || (!!marker && /^#/.test(line));
    while (end < lines.length && !stop(lines[end]!.text)) end += 1;
    sections.push({
      header: headerLine.text.trim(),
      start: lines[index]!.start,
      end: end < lines.length ? lines[end]!.start : text.length,
      ...(marker ? { marker } : {})
    });
    index = end - 1;
  }
  return sections;
}

export function hasSection(text: string, header: string): boolean {
  return sectionsOf(text).some((section) => section.header === header);
}

/**
 * The credentials file's block. A profile with a credential_process gets only its header
 * there, and only to replace a section of the same name: keys in that file would win over
 * the config file's credential_process.
 */
export function credentialsBlock(marker: Marker, entry: ProfileEntry, eol: string): string {
  const keys = hasKeys(entry)
    ? [
        `aws_access_key_id = ${entry.accessKeyId}`,
        `aws_secret_access_key = ${entry.secretAccessKey}`,
        `aws_session_token = ${entry.sessionToken}`
      ]
    : [];
  return [markerLine(marker), credentialsHeader(entry.profile), ...keys, ''].join(eol);
}

export function configBlock(marker: Marker, entry: ProfileEntry, eol: string): string {
  const command = hasKeys(entry) ? [] : [`credential_process = ${entry.credentialProcess}`];
  return [markerLine(marker), configHeader(entry.profile), `region = ${entry.region}`, ...command, ''].join(eol);
}

/** What a file becomes, and what post needs to take it back. */
export interface FileEdit {
  text: string;
  addedNewline: boolean;
  /** The user's sections replaced in place (overwrite-aws-profile), with their original text. */
  replaced: { header: string; original: string }[];
  /** Blocks left by jobs that are over, removed to make room. */
  orphans: Marker[];
}

/**
 * Plans the edit of one file: for each profile, an orphaned block of ours is dropped; a
 * live block of another job refuses; a user's section refuses, or with overwrite is
 * replaced in place; otherwise the block is appended. Throws ActionError on conflict.
 */
export function planEdit(
  text: string,
  path: string,
  items: { header: string; block: string }[],
  overwrite: boolean,
  isLive: (marker: Marker) => boolean,
  newFileEol: string
): FileEdit {
  const eol = eolOf(text, newFileEol);
  const replaced: FileEdit['replaced'] = [];
  const orphans: Marker[] = [];
  // Edits at offsets, applied from the end so earlier offsets stay valid.
  const edits: { start: number; end: number; with: string }[] = [];
  const appended: string[] = [];
  const sections = sectionsOf(text);
  for (const { header, block } of items) {
    let placed = false;
    for (const section of sections.filter((candidate) => candidate.header === header)) {
      if (section.marker) {
        if (isLive(section.marker)) {
          throw new ActionError(
            `Profile "${profileOf(header)}" in ${path} belongs to ${describeWriter(section.marker)}, ` +
              (section.marker.lease
                ? 'whose job is still running on this machine: choose another profile name'
                : 'which recorded no lease, so it may still be in use: remove the section by hand or choose another profile name')
          );
        }
        orphans.push(section.marker);
        edits.push({ start: section.start, end: section.end, with: '' });
      } else if (!overwrite) {
        throw new ActionError(
          `Profile "${profileOf(header)}" already exists in ${path}: ` +
            'choose another profile name, or set overwrite-aws-profile: true to replace it'
        );
      } else if (!placed) {
        const original = text.slice(section.start, section.end);
        replaced.push({ header, original });
        edits.push({ start: section.start, end: section.end, with: adaptEol(block, eol) });
        placed = true;
      } else {
        // A second section of the same name (the CLI would not parse the file): merged into ours.
        replaced.push({ header, original: text.slice(section.start, section.end) });
        edits.push({ start: section.start, end: section.end, with: '' });
      }
    }
    if (!placed) appended.push(adaptEol(block, eol));
  }
  let result = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    result = result.slice(0, edit.start) + edit.with + result.slice(edit.end);
  }
  const addedNewline = appended.length > 0 && result !== '' && !result.endsWith('\n');
  result = `${result}${addedNewline ? eol : ''}${appended.join('')}`;
  return { text: result, addedNewline, replaced, orphans };
}

const profileOf = (header: string): string => header.replace(/^\[(profile )?|\]$/g, '');
const adaptEol = (block: string, eol: string): string => block.replace(/\r?\n/g, eol);

function describeWriter(marker: Marker): string {
  return marker.runId ? `run ${marker.runId} attempt ${marker.runAttempt}` : 'an earlier run of oidc-aws-credentials';
}

/**
 * Post: takes out every block carrying our nonce, putting back the user's section it
 * replaced (restores maps a header to that section's original text).
 */
export function withoutMarkedBlocks(
  text: string,
  nonce: string,
  addedNewline: boolean,
  restores: ReadonlyMap<string, string> = new Map()
): string {
  const ours = sectionsOf(text).filter((section) => section.marker?.nonce === nonce);
  if (ours.length === 0) return text;
  let result = text;
  let removedAtEnd = false;
  for (const section of [...ours].reverse()) {
    const original = restores.get(section.header);
    result = result.slice(0, section.start) + (original ?? '') + result.slice(section.end);
    if (original === undefined && section.end === text.length) removedAtEnd = true;
  }
  // When the original file did not end in a newline, take back the one we added before our blocks.
  if (addedNewline && removedAtEnd) return result.replace(/\r?\n$/, '');
  return result;
}

// ---- file I/O --------------------------------------------------------------------

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Reads a file without following a link; undefined when it does not exist. Opened
 * non-blocking: a FIFO put in a file's place is refused at once instead of waiting for
 * a writer (no deadline bounds a synchronous open).
 */
export function readRegularFile(path: string, maxBytes = Infinity): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    if (stat.size > maxBytes) throw Object.assign(new Error('file too large'), { code: 'EFBIG' });
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file atomically, following no link: a new file in the same folder, created
 * exclusively with mode 0600 (set again on the handle: the umask may clear bits but the
 * file must never be readable by others), then renamed over the path. A rename replaces
 * a symbolic link rather than writing through it.
 */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const temporary = nodePath.join(
    nodePath.dirname(path),
    `.${nodePath.basename(path)}.${randomBytes(6).toString('hex')}.tmp`
  );
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
  try {
    try {
      fchmodSync(fd, mode);
      writeSync(fd, text, null, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

const fileVariable = (files: ProfileFiles, path: string): string =>
  path === files.credentials ? 'AWS_SHARED_CREDENTIALS_FILE' : 'AWS_CONFIG_FILE';

/** A write problem as one line: the path and the system's code, never a library's text. */
function fileError(files: ProfileFiles, path: string, error: unknown, doing = 'write AWS profiles to'): ActionError {
  if (error instanceof ActionError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return new ActionError(
    `Cannot ${doing} ${path} (${code}): make it a writable regular file in a writable folder, ` +
      `or point ${fileVariable(files, path)} elsewhere; nothing was written`
  );
}

/** Checks a file and its folder can be replaced: no links, a regular file, write access. */
function checkWritable(files: ProfileFiles, path: string): void {
  const folder = nodePath.dirname(path);
  for (const candidate of [path, folder]) {
    let stat;
    try {
      stat = lstatSync(candidate);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) {
      throw new ActionError(
        `Refusing to write AWS profiles through the symbolic link ${candidate}: replace it with a regular file, ` +
          `or point ${fileVariable(files, path)} elsewhere`
      );
    }
    if (candidate === path && !stat.isFile()) throw fileError(files, path, { code: 'EISDIR' });
  }
  try {
    readRegularFile(path);
    let existing = folder;
    while (!exists(existing) && nodePath.dirname(existing) !== existing) existing = nodePath.dirname(existing);
    accessSync(existing, constants.W_OK);
    if (exists(path)) accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw fileError(files, path, error);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A section is live while the lease named in its marker exists (see the comment at the top). */
export function markerIsLive(marker: Marker): boolean {
  return marker.lease === undefined || exists(marker.lease);
}

interface Plan {
  marker: Marker;
  credentials: { existing: string | undefined; edit: FileEdit };
  config: { existing: string | undefined; edit: FileEdit };
}

function plan(context: ProfileContext, entries: ProfileEntry[], marker: Marker): Plan {
  checkEntries(entries);
  const { files } = context;
  const one = (
    path: string,
    header: (profile: string) => string,
    block: (entry: ProfileEntry, eol: string) => string
  ) => {
    checkWritable(files, path);
    let existing: string | undefined;
    try {
      existing = readRegularFile(path);
    } catch (error) {
      throw fileError(files, path, error, 'read');
    }
    const items = entries
      // A credential_process profile touches the credentials file only where a section of its name is.
      .filter(
        (entry) => path !== files.credentials || hasKeys(entry) || hasSection(existing ?? '', header(entry.profile))
      )
      .map((entry) => ({ header: header(entry.profile), block: block(entry, '\n') }));
    return {
      existing,
      edit: planEdit(existing ?? '', path, items, context.overwrite, markerIsLive, context.newFileEol)
    };
  };
  return {
    marker,
    credentials: one(files.credentials, credentialsHeader, (entry, eol) => credentialsBlock(marker, entry, eol)),
    config: one(files.config, configHeader, (entry, eol) => configBlock(marker, entry, eol))
  };
}

const placeholderEntry = (profile: string): ProfileEntry => ({
  profile,
  accessKeyId: 'x',
  secretAccessKey: 'x',
  sessionToken: 'x',
  region: 'x'
});

/**
 * Checks, before any request, that the profiles can be written: both files and their
 * folder writable, no symbolic links, and no section of the same name in either file
 * (unless overwrite-aws-profile is true, or it is an orphan of a job that is over).
 */
export function checkProfilesWritable(context: ProfileContext, profiles: string[]): void {
  plan(context, profiles.map(placeholderEntry), { nonce: 'oidc-aws-credentials-0000000000000000' });
}

/**
 * Writes every profile. Order matters for a failure part-way: the config file first (it
 * holds no secret), then `beforeSecret` (main saves post's state there), then the
 * credentials; any error rolls every write back and throws one ActionError.
 */
export function writeProfiles(
  context: ProfileContext,
  entries: ProfileEntry[],
  beforeSecret: (cleanup: ProfileCleanup) => void
): ProfileCleanup {
  const { files } = context;
  const nonce = `oidc-aws-credentials-${randomBytes(8).toString('hex')}`;
  const marker = markerFor(
    nonce,
    context.run,
    context.runnerTemp ? nodePath.join(context.runnerTemp, `${nonce}.lease`) : undefined
  );
  const planned = plan(context, entries, marker);

  const undo: (() => void)[] = [];
  let current = files.config;
  try {
    const leasePath = marker.lease;
    if (leasePath) {
      writeFileAtomic(leasePath, '');
      undo.push(() => rmSync(leasePath, { force: true }));
    }
    const backups =
      planned.credentials.edit.replaced.length + planned.config.edit.replaced.length
        ? mkdtempSync(nodePath.join(context.runnerTemp ?? tmpdir(), 'oidc-aws-credentials-'))
        : undefined;
    if (backups) undo.push(() => rmSync(backups, { recursive: true, force: true }));
    const record = (path: string, { existing, edit }: Plan['credentials']) => {
      const replaced = edit.replaced.map(({ header, original }, index) => {
        const backup = nodePath.join(backups!, `${path === files.credentials ? 'credentials' : 'config'}-${index}`);
        writeFileAtomic(backup, original);
        return { header, backup };
      });
      return {
        path,
        created: existing === undefined,
        addedNewline: edit.addedNewline,
        ...(replaced.length ? { replaced } : {})
      };
    };
    const cleanup: ProfileCleanup = {
      marker: nonce,
      ...(marker.lease ? { lease: marker.lease } : {}),
      files: [record(files.credentials, planned.credentials), record(files.config, planned.config)]
    };

    const put = (path: string, { existing, edit }: Plan['credentials']) => {
      current = path;
      if (edit.text === (existing ?? '')) return;
      mkdirSync(nodePath.dirname(path), { recursive: true, mode: 0o700 });
      writeFileAtomic(path, edit.text);
      undo.push(() => (existing === undefined ? rmSync(path, { force: true }) : writeFileAtomic(path, existing)));
    };
    put(files.config, planned.config);
    current = files.credentials;
    beforeSecret(cleanup);
    put(files.credentials, planned.credentials);

    const seen = new Set<string>();
    for (const orphan of [...planned.credentials.edit.orphans, ...planned.config.edit.orphans]) {
      if (seen.has(orphan.nonce)) continue;
      seen.add(orphan.nonce);
      context.warn(
        `Replaced AWS profile sections left by ${describeWriter(orphan)}, whose job ended without its post step ` +
          `(its lease ${neutralise(orphan.lease)} is gone)`
      );
    }
    return cleanup;
  } catch (error) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // best effort: the error below is what the user acts on
      }
    }
    throw fileError(files, current, error);
  }
}

/** Post: takes our blocks out (restoring replaced sections); each problem is reported, none stops the rest. */
export function removeProfiles(cleanup: ProfileCleanup): { changed: string[]; problems: string[] } {
  const changed: string[] = [];
  const problems: string[] = [];
  const attempt = (what: string, action: () => void): void => {
    try {
      action();
    } catch (error) {
      problems.push(`${what}: ${neutralise((error as NodeJS.ErrnoException).code ?? 'failed', 64)}`);
    }
  };
  for (const file of cleanup.files) {
    attempt(`Could not remove the AWS profiles from ${file.path}`, () => {
      const before = readRegularFile(file.path);
      if (before === undefined) return;
      const restores = new Map<string, string>();
      for (const { header, backup } of file.replaced ?? []) {
        // Without its backup the user's section cannot come back; our secret still goes.
        attempt(`Could not put back ${header} in ${file.path} from ${backup}`, () => {
          const original = readRegularFile(backup);
          if (original === undefined) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
          restores.set(header, (restores.get(header) ?? '') + original);
        });
      }
      const after = withoutMarkedBlocks(before, cleanup.marker, file.addedNewline, restores);
      if (after === before) return;
      if (file.created && after.trim() === '') unlinkSync(file.path);
      else writeFileAtomic(file.path, after, fstatMode(file.path));
      changed.push(file.path);
    });
    for (const { backup } of file.replaced ?? [])
      attempt(`Could not delete ${backup}`, () => rmSync(backup, { force: true }));
  }
  // The backups' folder (mkdtemp, ours alone): removed once empty, never with anything else in it.
  const backupFolders = new Set(
    cleanup.files.flatMap((file) => (file.replaced ?? []).map(({ backup }) => nodePath.dirname(backup)))
  );
  for (const folder of backupFolders) {
    attempt(`Could not delete ${folder}`, () => {
      if (exists(folder)) rmdirSync(folder);
    });
  }
  if (cleanup.lease) {
    const lease = cleanup.lease;
    attempt(`Could not delete the lease ${lease}`, () => rmSync(lease, { force: true }));
  }
  return { changed, problems };
}

function fstatMode(path: string): number {
  return lstatSync(path).mode & 0o777;
}
