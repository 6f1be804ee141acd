/*
 * A long-running later step for refresh-credentials: one STS client on the SDK's default
 * credential chain (AWS_PROFILE → the profile's credential_process), calling
 * GetCallerIdentity back to back for a while. Prints one JSON line: how many calls, how
 * many failed (with the first error), and the access key ids the SDK signed with, in order.
 * Usage: node emulator/refresh-consumer.ts <sts endpoint> <seconds>
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const [endpoint, seconds = '10'] = process.argv.slice(2);
const client = new STSClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 1 });
const until = Date.now() + Number(seconds) * 1000;
const keys: string[] = [];
let calls = 0;
let failures = 0;
let firstError: string | undefined;
while (Date.now() < until) {
  calls += 1;
  try {
    await client.send(new GetCallerIdentityCommand({}));
    const { accessKeyId } = await client.config.credentials();
    if (keys.at(-1) !== accessKeyId) keys.push(accessKeyId);
  } catch (error) {
    failures += 1;
    firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
console.log(JSON.stringify({ calls, failures, firstError, keys }));
