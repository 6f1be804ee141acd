import { ActionError } from './errors.ts';
import { StsCallError } from './sts.ts';

/** Turns a failed AssumeRoleWithWebIdentity into the one line the user reads. */
export function describeStsFailure(error: unknown, roleArn: string): Error {
  if (!(error instanceof StsCallError)) return error instanceof Error ? error : new Error(String(error));
  const status = error.httpStatus === undefined ? '' : ` (HTTP ${error.httpStatus})`;
  return new ActionError(`STS AssumeRoleWithWebIdentity for ${roleArn} failed: ${error.code}${status}: ${error.message}`);
}
