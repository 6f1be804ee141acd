import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';

/*
 * The few runner commands the post step needs, written directly. @actions/core would
 * do the same, but it loads an HTTP client (undici) at import, which made the post
 * bundle about 1 MB and slowed its start-up; post only writes GITHUB_ENV and the log.
 */

/** Sets a variable for later steps: heredoc form in GITHUB_ENV, as the runner parses it. */
export function exportVariable(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  env[name] = value;
  const file = env.GITHUB_ENV;
  if (!file) return;
  const delimiter = `ghadelimiter_${randomUUID()}`;
  // The runner would take a delimiter found inside the value as the end of it.
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error('delimiter collision');
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
}

export function info(message: string): void {
  process.stdout.write(`${message}${EOL}`);
}

export function warning(message: string): void {
  process.stdout.write(`::warning::${escapeData(message)}${EOL}`);
}

/** Escapes a command's data so it stays on one line. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
