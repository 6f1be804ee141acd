import { logLine } from './external-text.ts';

/**
 * A failure the user can act on. Its message is one line that names the input or
 * cause and the fix; it is printed as the step's `::error::` as is.
 */
export class ActionError extends Error {
  /** Lines printed to the log before the error line, e.g. YAML to paste. Never secrets. */
  readonly details: string[];
  constructor(message: string, details: string[] = []) {
    super(message);
    this.name = 'ActionError';
    this.details = details;
  }
}

/**
 * The one line shown for any failure. Our own errors are already written for the
 * user; anything else is reduced to its first line so no stack trace leaks out.
 */
export function errorLine(error: unknown): string {
  if (error instanceof ActionError) return oneLine(error.message);
  const message = error instanceof Error ? error.message : String(error);
  return `Unexpected error: ${oneLine(message) || 'no message'}`;
}

/** Whatever a message holds (STS text, claims, paths), the error is one neutralised line. */
function oneLine(text: string): string {
  return logLine(text.replace(/\s*[\r\n]+\s*/g, ' ').trim());
}

/** The lines to print before the error line. */
export function errorDetails(error: unknown): string[] {
  return error instanceof ActionError ? error.details.map(logLine) : [];
}
