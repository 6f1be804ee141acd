/*
 * How the runner turns a step's output into its log (docs/runner-contract.md, "Workflow
 * commands"): which lines are commands, what stop-commands switches off, what add-mask
 * hides from then on. Pure, so property tests can feed it what the action printed
 * without starting a process.
 */

/** A command the runner acted on (or, for set-env/add-path, refused). */
export interface RunnerCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
  /** The line as printed. */
  line: string;
}

/** The commands the runner knows; any other `::name::` line is plain text. */
const REGISTERED = [
  'add-mask',
  'add-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'notice',
  'remove-matcher',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning'
];

/** Refused unless the workflow sets ACTIONS_ALLOW_UNSECURE_COMMANDS; the refusal fails the step. */
const UNSECURE = new Set(['set-env', 'add-path']);

/** .NET's TrimStart: Unicode white space, which includes U+0085 (JavaScript's trimStart does not). */
const LEADING_SPACE = /^[\s\u0085]+/;

const unescape = (text: string, mappings: [string, string][]): string =>
  mappings.reduce((value, [escaped, plain]) => value.split(escaped).join(plain), text);

/** Data of a `::` command: CR, LF and % (in that order, as the runner undoes them). */
const DATA_ESCAPES: [string, string][] = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%']
];
/** Property values of a `::` command also escape : and ,. */
const PROPERTY_ESCAPES: [string, string][] = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%3A', ':'],
  ['%2C', ','],
  ['%25', '%']
];
/** The older `##[name]` form escapes ; and ] too, in data and properties alike. */
const LEGACY_ESCAPES: [string, string][] = [
  ['%3B', ';'],
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%5D', ']'],
  ['%25', '%']
];

type Parsed = Omit<RunnerCommand, 'line'>;

function properties(text: string, separator: string, escapes: [string, string][]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const pair of text.split(separator)) {
    const equals = pair.indexOf('=');
    if (equals <= 0 || equals === pair.length - 1) continue;
    found[pair.slice(0, equals)] = unescape(pair.slice(equals + 1), escapes);
  }
  return found;
}

/** `::name key=value,key=value::data` once leading white space is trimmed. */
function parseCurrent(line: string, known: (name: string) => boolean): Parsed | undefined {
  const text = line.replace(LEADING_SPACE, '');
  if (!text.startsWith('::')) return undefined;
  const end = text.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = text.slice(2, end);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (!known(name)) return undefined;
  return {
    name,
    properties: space > 0 ? properties(info.slice(space + 1).trim(), ',', PROPERTY_ESCAPES) : {},
    data: unescape(text.slice(end + 2), DATA_ESCAPES)
  };
}

/** The older `##[name key=value;key=value]data`, found anywhere in the line. */
function parseLegacy(line: string, known: (name: string) => boolean): Parsed | undefined {
  const start = line.indexOf('##[');
  if (start < 0) return undefined;
  const close = line.indexOf(']', start);
  if (close < 0) return undefined;
  const info = line.slice(start + 3, close);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (!known(name)) return undefined;
  return {
    name,
    properties: space > 0 ? properties(info.slice(space + 1), ';', LEGACY_ESCAPES) : {},
    data: unescape(line.slice(close + 1), LEGACY_ESCAPES)
  };
}

export class LogRenderer {
  /** Values replaced by *** in every line printed after their add-mask (shared by a job's steps). */
  readonly masks: Set<string>;
  /** Every command the runner acted on, in order. */
  readonly commands: RunnerCommand[] = [];
  /** Whether a refused command (set-env, add-path) failed the step. */
  failed = false;
  private readonly debug: boolean;
  /** The token that resumes command processing while stop-commands is in force. */
  private stopToken: string | undefined;

  constructor(options: { debug?: boolean; masks?: Set<string> } = {}) {
    this.debug = options.debug ?? false;
    this.masks = options.masks ?? new Set();
  }

  /** Whether commands are ignored right now (a stop-commands without its resume line yet). */
  get stopped(): boolean {
    return this.stopToken !== undefined;
  }

  /** The log lines as GitHub shows them for this output. The runner ends a line at CR, LF or CRLF. */
  render(output: string): string[] {
    const shown: string[] = [];
    for (const line of output.split(/\r\n|\r|\n/)) {
      for (const text of this.line(line)) shown.push(this.mask(text));
    }
    while (shown.at(-1) === '') shown.pop();
    return shown;
  }

  mask(text: string): string {
    let masked = text;
    for (const secret of [...this.masks].sort((a, b) => b.length - a.length)) masked = masked.split(secret).join('***');
    return masked;
  }

  /** What one line of output shows: nothing (a hidden command), itself, or an annotation. */
  private line(line: string): string[] {
    const known = (name: string): boolean => {
      const lower = name.toLowerCase();
      return REGISTERED.includes(lower) || (this.stopToken !== undefined && lower === this.stopToken.toLowerCase());
    };
    const command = parseCurrent(line, known) ?? parseLegacy(line, known);
    if (!command) return [line];
    const name = command.name.toLowerCase();
    if (this.stopToken !== undefined) {
      // While stopped, only the resume token is a command; everything else is printed as text.
      if (this.stopToken !== '' && name === this.stopToken.toLowerCase()) this.stopToken = undefined;
      return [line];
    }
    this.commands.push({ ...command, name, line });
    switch (name) {
      case 'stop-commands':
        this.stopToken = command.data;
        return [line];
      case 'add-mask':
        if (!command.data.trim()) return ["Warning: Can't add secret mask for empty string in ##[add-mask] command."];
        for (const part of command.data.split('\n')) if (part.trim()) this.masks.add(part);
        return [];
      case 'error':
      case 'warning':
      case 'notice':
        return [`${name[0]!.toUpperCase()}${name.slice(1)}: ${command.data}`];
      case 'debug':
        return this.debug ? [`##[debug]${command.data}`] : [];
      case 'group':
        return [command.data];
      default:
        if (UNSECURE.has(name)) {
          this.failed = true;
          return [`Error: Unable to process command '${line}' successfully.`];
        }
        return [];
    }
  }
}

/** The state or outputs stdout commands set, by name: `::save-state name=x::v`, `::set-output name=x::v`. */
export function namedValues(commands: RunnerCommand[], name: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const command of commands) {
    const key = Object.entries(command.properties).find(([property]) => property.toLowerCase() === 'name')?.[1];
    if (command.name === name && key) values[key] = command.data;
  }
  return values;
}
