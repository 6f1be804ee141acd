import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { EOL } from 'node:os';

/*
 * The runner commands the action's steps use, written directly to stdout and to the
 * runner's files by the rules in docs/runner-contract.md. @actions/core does the same,
 * but it loads an HTTP client (undici) when imported: that was most of the main
 * bundle and most of the time from process start to the first request.
 */

/** Where command lines go; tests pass their own. */
export type Output = (text: string) => void;

const stdout: Output = (text) => void process.stdout.write(text);

/** An input as the runner passes it: INPUT_ + the name upper-cased, spaces as `_`; trimmed, '' when absent. */
export function getInput(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** Escapes a command's data so it stays on one line. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value also loses the `:` and `,` that would end it. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::name key=value::data` line. */
function issue(out: Output, name: string, data: string, properties: Record<string, string> = {}): void {
  const pairs = Object.entries(properties).map(([key, value]) => `${key}=${escapeProperty(value)}`);
  out(`::${name}${pairs.length ? ` ${pairs.join(',')}` : ''}::${escapeData(data)}${EOL}`);
}

export function info(message: string, out: Output = stdout): void {
  out(`${message}${EOL}`);
}

/** Shown only with step debug logging. */
export function debug(message: string, out: Output = stdout): void {
  issue(out, 'debug', message);
}

export function warning(message: string, out: Output = stdout): void {
  issue(out, 'warning', message);
}

/** The error annotation, and exit code 1 for the step when the process ends. */
export function setFailed(message: string, out: Output = stdout): void {
  process.exitCode = 1;
  issue(out, 'error', message);
}

/** The runner shows `***` for this value (each of its lines) in every later line of the job's log. */
export function setSecret(secret: string, out: Output = stdout): void {
  issue(out, 'add-mask', secret);
}

/**
 * Appends NAME<<DELIMITER, the value, DELIMITER: the block form the runner reads any
 * value back from exactly, line breaks included.
 */
function appendFileCommand(file: string, name: string, value: string): void {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  // The runner would take a delimiter found inside the value as the end of it.
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error('delimiter collision');
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
}

/** Sets a variable for later steps (GITHUB_ENV) and for this process. */
export function exportVariable(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  env[name] = value;
  if (env.GITHUB_ENV) appendFileCommand(env.GITHUB_ENV, name, value);
}

/** A step output: GITHUB_OUTPUT, or the older stdout command on a runner without the file. */
export function setOutput(name: string, value: string, env: NodeJS.ProcessEnv = process.env, out = stdout): void {
  if (env.GITHUB_OUTPUT) return appendFileCommand(env.GITHUB_OUTPUT, name, value);
  out(EOL);
  issue(out, 'set-output', value, { name });
}

/** A value the post step reads as STATE_<name>: GITHUB_STATE, or the older stdout command. */
export function saveState(name: string, value: string, env: NodeJS.ProcessEnv = process.env, out = stdout): void {
  if (env.GITHUB_STATE) return appendFileCommand(env.GITHUB_STATE, name, value);
  issue(out, 'save-state', value, { name });
}

/** Appends Markdown to the job summary as it is; nothing when the runner has no summary file. */
export async function appendSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, markdown, 'utf8');
}
