import { dirname } from 'node:path';
import { checkProfilesWritable, profileContextFrom, writeProfiles } from './aws-profile-files.ts';
import { CREDENTIAL_VARIABLES, encodeCleanupState } from './cleanup-state.ts';
import { credentialSourceFor } from './credential-sources.ts';
import { applyProxyInputs, preconnectedAgent, proxyAgentFor } from './http-transport.ts';
import { loadSts, obtainCredentials } from './obtain-credentials.ts';
import {
  checkAllowedAccounts,
  maskCredentials,
  publishCredentials,
  type AssumedRole,
  type RefreshPublishing,
  type RunnerCommands
} from './publish.ts';
import { DEFAULT_REFRESH_PROFILE, setUpRefresh } from './refresh-setup.ts';
import { REQUEST_TIMEOUTS, retryPolicyFor, type RetryClock } from './retry.ts';
import { runContextFrom } from './run-context.ts';
import { renderSessionName } from './session-name.ts';
import { defaultSessionTags, type SessionTag } from './session-tags.ts';
import { readSettings, type InputReader, type Settings, type TransportSettings } from './settings.ts';
import { successSummary } from './summary.ts';

export interface MainDependencies {
  input: InputReader;
  env: NodeJS.ProcessEnv;
  runner: RunnerCommands & {
    info(message: string): void;
    warning(message: string): void;
    debug(message: string): void;
  };
  clock: RetryClock;
  /** Appends Markdown to the job summary. */
  summarise(markdown: string): void;
  /** For refresh-credentials: the Node running this step and the main entry (dist/main/index.js). */
  process?: { execPath: string; entry: string; platform: NodeJS.Platform };
}

/**
 * The main step: settings → identity (token or chained credentials) → each role →
 * mask → check → export / write profiles → one line per role and the summary.
 */
export async function runMain(dependencies: MainDependencies): Promise<void> {
  const { input, env, runner, clock, summarise } = dependencies;
  const settings = readSettings(input, env);
  const { identity: wanted, transport, outputs } = settings;
  // refresh-credentials always works through a profile: ours when the user names none.
  const targets = outputs.refreshCredentials
    ? wanted.targets.map((target) =>
        target.profile === undefined ? { ...target, profile: DEFAULT_REFRESH_PROFILE } : target
      )
    : wanted.targets;
  // Masked before any request, so no error line, diagnosis or summary can show it.
  if (outputs.maskAccountId)
    for (const { role } of wanted.targets) if (role.accountId) runner.setSecret(role.accountId);
  maskProxyPassword(transport, runner);
  applyProxyInputs(transport, env);
  const run = runContextFrom(env);
  const sessionName = renderSessionName(wanted.sessionNameTemplate, run);
  const sessionTags = wanted.session.sessionTagging ? defaultSessionTags(run) : [];
  const deadline = clock.now() + settings.requests.timeoutSeconds * 1000;
  const policy = retryPolicyFor(settings.requests);
  const profileContext = profileContextFrom(env, outputs.overwriteAwsProfile, (line) => runner.warning(line));
  const profiles = targets.flatMap((target) => (target.profile === undefined ? [] : [target.profile]));
  if (profiles.length) checkProfilesWritable(profileContext, profiles);
  // Every local check is done: use the waits. The token request goes out first; STS's
  // connection opens and the AWS SDK loads while it is in flight.
  const stsUrl = transport.stsEndpoint ?? `https://${transport.stsHost}`;
  runner.debug(`STS endpoint: ${stsUrl} (partition ${transport.partition})`);
  const proxyAgent = await proxyAgentFor(stsUrl);
  const source = credentialSourceFor({
    settings,
    env,
    clock,
    deadline,
    // Only a proxy agent: the pre-connected one serves the first STS call of this step.
    ...(proxyAgent ? { agent: proxyAgent } : {}),
    mask: (secret) => runner.setSecret(secret),
    log: (line) => runner.info(line)
  });
  source.prefetch(deadline - clock.now());
  const agent = proxyAgent ?? preconnectedAgent(stsUrl, REQUEST_TIMEOUTS.connectMs);
  // Node opens a socket on the next tick, and loading the SDK blocks for tens of ms: load
  // it once both connections have really started, so their handshakes wait for nothing.
  setImmediate(
    () =>
      void loadSts()
        .then((sts) => sts.warmUp(transport.region))
        .catch(() => undefined)
  );

  const roles: AssumedRole[] = [];
  for (const target of targets) {
    const credentials = await obtainCredentials({
      target,
      sessionName,
      session: wanted.session,
      transport,
      source,
      sessionTags,
      policy,
      deadline,
      ...(agent ? { agent } : {}),
      explain: { audience: wanted.audience, nameProfile: wanted.targets.length > 1 },
      log: (line) => runner.info(line),
      clock
    });
    maskCredentials(runner, outputs, credentials);
    roles.push({ target, credentials });
  }
  checkAllowedAccounts(outputs, roles);
  const refresh = outputs.refreshCredentials
    ? refreshFor(dependencies, settings, { sessionName, sessionTags }, roles, wanted.targets[0]!.profile === undefined)
    : undefined;
  publishCredentials(
    runner,
    outputs,
    roles,
    (entries, beforeSecret) => writeProfiles(profileContext, entries, beforeSecret),
    refresh
  );

  const now = new Date(clock.now());
  for (const { target, credentials } of roles) {
    const minutes = Math.round((credentials.expiration.getTime() - now.getTime()) / 60000);
    const into = target.profile === undefined ? '' : ` into profile ${target.profile}`;
    runner.info(
      `Assumed ${target.role.arn} as session ${sessionName}${into}; ` +
        `credentials expire ${credentials.expiration.toISOString()} (in ${minutes} min)`
    );
  }
  if (outputs.jobSummary) {
    summarise(
      successSummary({
        roles: roles.map(({ target, credentials }) => ({
          roleArn: target.role.arn,
          ...(target.profile === undefined ? {} : { profile: target.profile }),
          accountId: credentials.accountId,
          expiration: credentials.expiration
        })),
        sessionName,
        maskAccountId: outputs.maskAccountId,
        region: transport.region,
        proof: source.summary(),
        now
      })
    );
  }
}

/**
 * refresh-credentials: the helper's folder, params and seeded cache. Post's state names
 * the folder before anything secret is written there.
 */
function refreshFor(
  { env, runner, clock, process: host }: MainDependencies,
  settings: Settings,
  { sessionName, sessionTags }: { sessionName: string; sessionTags: SessionTag[] },
  roles: AssumedRole[],
  exportProfile: boolean
): RefreshPublishing {
  const { outputs } = settings;
  const running = host ?? { execPath: process.execPath, entry: process.argv[1] ?? '', platform: process.platform };
  const setup = setUpRefresh({
    settings,
    env,
    sessionName,
    sessionTags,
    roles: roles.map(({ target, credentials }) => ({ profile: target.profile!, target, credentials })),
    nodePath: running.execPath,
    distFolder: dirname(dirname(running.entry)),
    platform: running.platform,
    now: clock.now(),
    beforeSecret: (folder) =>
      runner.saveState(
        ...encodeCleanupState({
          variables: [],
          accessKeyFingerprint: '',
          region: outputs.region,
          ...(outputs.cleanup ? { refreshFolder: folder } : {})
        })
      )
  });
  return {
    folder: setup.folder,
    commandFor: setup.commandFor,
    ...(exportProfile ? { exportProfile: DEFAULT_REFRESH_PROFILE } : {}),
    keysToBlank: CREDENTIAL_VARIABLES.filter((name) => env[name])
  };
}

function maskProxyPassword(transport: TransportSettings, runner: MainDependencies['runner']): void {
  if (!transport.httpProxy) return;
  // settings.ts checked that the %-escapes decode.
  const password = decodeURIComponent(new URL(transport.httpProxy).password);
  if (password) runner.setSecret(password);
}
