/*
 * Entry point of the refresh helper, run by the AWS CLI and SDKs as a profile's
 * credential_process: node dist/refresh/index.js <params file> <profile>. Prints the
 * credentials as JSON on stdout for the tool that started it, and nothing else; a failure
 * is one line on stderr (the tool shows it) and exit code 1. It never prints a workflow
 * command: its stderr can reach the step's log. The AWS CLI starts it for every command,
 * so a cache hit loads nothing but the cache; the refresh path is loaded only when needed.
 */
import nodePath from 'node:path';
import { processOutput } from './credential-process.ts';
import { ActionError, errorLine } from './errors.ts';
import { freshCachedCredentials } from './refresh-files.ts';

const [paramsPath = '', profile = ''] = process.argv.slice(2);
try {
  if (!paramsPath || !profile) {
    throw new ActionError(
      'usage: index.js <params file> <profile>; the AWS CLI and SDKs run this through the profile that ' +
        'refresh-credentials writes'
    );
  }
  const cached = freshCachedCredentials(nodePath.dirname(paramsPath), profile, Date.now());
  const credentials =
    cached ??
    (await (
      await import('./run-refresh.ts')
    ).refreshedCredentials(paramsPath, profile, {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random
    }));
  process.stdout.write(processOutput(credentials));
} catch (error) {
  // A prefix, so the line can never start with "::" and be read as a workflow command.
  process.stderr.write(`oidc-aws-credentials (refresh-credentials): ${errorLine(error)}\n`);
  process.exitCode = 1;
}
