/*
 * A later workflow step that uses the exported credentials the way AWS tools do: the
 * SDK's default credential chain reads AWS_ACCESS_KEY_ID / _SECRET_ACCESS_KEY /
 * _SESSION_TOKEN and AWS_REGION from the environment. Prints the caller identity as
 * JSON. Usage: node emulator/consumer.ts <sts endpoint>
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const endpoint = process.argv[2];
try {
  const client = new STSClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 1 });
  const identity = await client.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({ Account: identity.Account, Arn: identity.Arn, UserId: identity.UserId }));
} catch (error) {
  console.log(`consumer failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exitCode = 1;
}
