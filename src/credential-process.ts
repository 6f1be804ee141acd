/*
 * The credential_process line of a profile, and what the command prints. The line is
 * split by whoever reads the profile: the AWS CLI (botocore) splits it itself, shlex-style
 * on POSIX and by the Microsoft C runtime's rules on Windows, then starts the program
 * without a shell; the SDKs for JavaScript, Go and Rust hand it to a shell (/bin/sh -c, or
 * cmd.exe /c on Windows). No tool runs it through PowerShell, whatever shell the step uses.
 * So the line is quoted so that every one of these splits it into the same arguments.
 */
import { ActionError } from './errors.ts';

/**
 * The SDKs' config parsers (JavaScript's, Rust's) end a line at white space followed by
 * # or ;, inside quotes too; the AWS CLI's does not.
 */
const COMMENT_START = /(\s)(?=[#;])/g;

/**
 * POSIX: each argument in single quotes, a single quote written as '\'' (close, escaped
 * quote, reopen). sh and shlex agree on both, and nothing inside single quotes expands.
 * White space before # or ; closes and reopens the quote ('a ''#b'), so no parser sees a
 * comment and sh and shlex still read one argument.
 */
function posixQuote(argument: string): string {
  return `'${argument.replace(/'/g, `'\\''`).replace(COMMENT_START, `$1''`)}'`;
}

/**
 * Windows: each argument in double quotes. cmd.exe expands %NAME% even inside quotes and
 * no quoting survives both cmd.exe and the C runtime for a double quote or a trailing
 * backslash, nor hides white space before # or ; from the SDKs' parsers, so such
 * arguments are refused (Windows paths cannot hold a double quote).
 */
function windowsQuote(argument: string): string {
  if (/["%]/.test(argument) || argument.endsWith('\\') || /\s[#;]/.test(argument)) {
    throw new ActionError(
      `Cannot write a credential_process line for the path ${argument}: on Windows it must not contain " or %, ` +
        'white space before # or ;, nor end in \\; move the runner (or RUNNER_TEMP) to a plain path'
    );
  }
  return `"${argument}"`;
}

/** The command line that runs `argv` (program first) for the CLI and the SDKs on this platform. */
export function credentialProcessLine(argv: string[], platform: NodeJS.Platform): string {
  return argv.map(platform === 'win32' ? windowsQuote : posixQuote).join(' ');
}

/** Credentials as the helper hands them over: what the SDKs cache, with when they were issued. */
export interface ProcessCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601, UTC. */
  expiration: string;
  /** ISO 8601, UTC: when the helper (or main) got them, to size the refresh margin. */
  issuedAt: string;
}

/** The JSON a credential_process prints on stdout (version 1 of the format). */
export function processOutput(credentials: ProcessCredentials): string {
  return `${JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration
  })}\n`;
}
