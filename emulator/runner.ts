/*
 * Runs the bundled action the way the GitHub runner does (docs/runner-contract.md):
 * `node24 dist/main/index.js` with no arguments, INPUT_ variables including action.yml
 * defaults, fresh file-command files per step applied after the process exits, STATE_
 * variables for post, posts in reverse order at job end, and the log rendered as GitHub
 * shows it (emulator/log-renderer.ts: commands, stop-commands, masks).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseFileCommands } from './file-commands.ts';
import { LogRenderer, namedValues, type RunnerCommand } from './log-renderer.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The action a job runs unless told otherwise: this checkout, or the one ACTION_DIR names
 * (e.g. an older commit's checkout with its dist/, to show a test fails there).
 */
export const defaultActionDir = (): string => (process.env.ACTION_DIR ? resolve(process.env.ACTION_DIR) : REPO_ROOT);

export interface StepResult {
  exitCode: number | null;
  /** stdout and stderr as the process wrote them, interleaved in arrival order. */
  raw: string;
  /** The log as GitHub would show it. */
  log: string[];
  /** The workflow commands the runner acted on, in order (set-output, save-state, set-env … included). */
  commands: RunnerCommand[];
  /** Whether the output ended with command processing stopped (a stop-commands never resumed). */
  commandsStopped: boolean;
  exported: Record<string, string>;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** The raw contents of the step's file-command files, for audits. */
  files: { env: string; output: string; state: string; summary: string };
  durationMs: number;
  /** performance.now() when the process was spawned. */
  startedAt: number;
}

export interface JobOptions {
  /** The job's `env:` (workflow and job level). */
  env?: Record<string, string>;
  /** Whether the job has `permissions: id-token: write`. */
  idToken?: { requestUrl: string; requestToken: string };
  debug?: boolean;
  /** GITHUB_* values to use instead of the defaults. */
  github?: Record<string, string>;
  actionDir?: string;
  /** Run node under this command, e.g. ['/usr/bin/time', '-f', '%M', '-o', file] to measure peak RSS. */
  wrapper?: string[];
  /** The harness kills a step still running after this long (its exitCode is then null). */
  killAfterMs?: number;
}

interface PendingPost {
  inputs: Record<string, string>;
  state: Record<string, string>;
}

/** The runner's RUNNER_OS for this platform. */
const RUNNER_OS = ({ win32: 'Windows', darwin: 'macOS' } as Record<string, string>)[process.platform] ?? 'Linux';

/**
 * What a process needs from the machine's environment to start and use the network: on
 * Windows, Winsock and the OS's crypto fail without SystemRoot. Everything else a step
 * sees is set by the job.
 */
export function platformEnv(): Record<string, string> {
  const names = [
    'PATH',
    ...(process.platform === 'win32'
      ? ['SystemRoot', 'SYSTEMDRIVE', 'WINDIR', 'TEMP', 'TMP', 'PATHEXT', 'COMSPEC']
      : [])
  ];
  const env: Record<string, string> = {};
  for (const name of names) env[name] = process.env[name] ?? '';
  return env;
}

interface ActionMetadata {
  inputs?: Record<string, { default?: unknown }>;
  runs?: { main?: string; post?: string };
}

const actionMetadata = (actionDir: string): ActionMetadata =>
  parseYaml(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as ActionMetadata;

/** The entry files action.yml names, as the runner reads them (another action may use other paths). */
export const actionEntries = (actionDir: string): { main: string; post: string } => {
  const { runs } = actionMetadata(actionDir);
  return {
    main: join(actionDir, runs?.main ?? 'dist/main/index.js'),
    post: join(actionDir, runs?.post ?? 'dist/post/index.js')
  };
};

const actionDefaults = (actionDir: string): Record<string, string> => {
  const action = actionMetadata(actionDir);
  const defaults: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    if (spec?.default !== undefined) defaults[name] = String(spec.default);
  }
  return defaults;
};

export class Job {
  readonly root: string;
  /** The environment later steps see: the job's env plus GITHUB_ENV exports. */
  readonly env: Record<string, string>;
  readonly masks = new Set<string>();
  private readonly options: JobOptions;
  private readonly posts: PendingPost[] = [];
  private stepCount = 0;

  constructor(options: JobOptions = {}) {
    if (!process.versions.node.startsWith('24.')) {
      throw new Error(
        `The runner emulation needs Node 24 (the runner's node24); this is ${process.version}: run it through npm scripts`
      );
    }
    this.options = options;
    this.root = mkdtempSync(join(tmpdir(), 'runner-'));
    mkdirSync(join(this.root, 'workspace'));
    mkdirSync(join(this.root, 'temp'));
    this.env = { ...options.env };
    if (options.idToken) this.masks.add(options.idToken.requestToken);
  }

  private githubVariables(step: string): Record<string, string> {
    return {
      GITHUB_ACTION: `__oidc_aws_credentials_${step}`,
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTOR: 'octocat',
      GITHUB_ACTOR_ID: '583231',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_JOB: 'deploy',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_REF_TYPE: 'branch',
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_REPOSITORY_ID: '123456789',
      GITHUB_REPOSITORY_OWNER: 'octo-org',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_NUMBER: '17',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_SHA: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      GITHUB_TRIGGERING_ACTOR: 'octocat',
      GITHUB_WORKFLOW: 'Deploy',
      GITHUB_WORKFLOW_REF: 'octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main',
      GITHUB_WORKSPACE: join(this.root, 'workspace'),
      RUNNER_TEMP: join(this.root, 'temp'),
      RUNNER_OS,
      ...this.options.github
    };
  }

  /** A `uses:` step: runs main and, if main started, queues its post. */
  async uses(inputs: Record<string, string>): Promise<StepResult> {
    const actionDir = this.options.actionDir ?? defaultActionDir();
    const withDefaults = { ...actionDefaults(actionDir), ...inputs };
    const result = await this.runNode(actionEntries(actionDir).main, withDefaults, {});
    this.posts.push({ inputs: withDefaults, state: result.state });
    return result;
  }

  /** Post steps, last first, as at the end of a job. */
  async runPosts(): Promise<StepResult[]> {
    const actionDir = this.options.actionDir ?? defaultActionDir();
    const results: StepResult[] = [];
    while (this.posts.length) {
      const post = this.posts.pop()!;
      results.push(await this.runNode(actionEntries(actionDir).post, post.inputs, post.state));
    }
    return results;
  }

  /** A `run:` step: any command, with the job's environment (plus the step's `env:`). */
  async run(command: string, args: string[], stepEnv: Record<string, string> = {}): Promise<StepResult> {
    return this.runProcess(command, args, { ...this.stepEnv('run', {}, {}), ...stepEnv });
  }

  private stepEnv(step: string, inputs: Record<string, string>, state: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {
      ...platformEnv(),
      HOME: process.env.HOME ?? this.root,
      ...this.env
    };
    for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    Object.assign(env, this.githubVariables(step));
    if (this.options.idToken) {
      env.ACTIONS_ID_TOKEN_REQUEST_URL = this.options.idToken.requestUrl;
      env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = this.options.idToken.requestToken;
    }
    if (this.options.debug) env.RUNNER_DEBUG = '1';
    return env;
  }

  private runNode(entry: string, inputs: Record<string, string>, state: Record<string, string>): Promise<StepResult> {
    const [command, ...args] = [...(this.options.wrapper ?? []), process.execPath, entry];
    return this.runProcess(command!, args, this.stepEnv('main', inputs, state));
  }

  private async runProcess(command: string, args: string[], env: Record<string, string>): Promise<StepResult> {
    this.stepCount += 1;
    const dir = join(this.root, 'steps', String(this.stepCount));
    mkdirSync(dir, { recursive: true });
    const paths = {
      env: join(dir, 'env'),
      output: join(dir, 'output'),
      state: join(dir, 'state'),
      summary: join(dir, 'summary')
    };
    for (const path of Object.values(paths)) writeFileSync(path, '');
    Object.assign(env, {
      GITHUB_ENV: paths.env,
      GITHUB_OUTPUT: paths.output,
      GITHUB_STATE: paths.state,
      GITHUB_STEP_SUMMARY: paths.summary
    });

    const started = performance.now();
    const child = spawn(command, args, { cwd: env.GITHUB_WORKSPACE, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let raw = '';
    child.stdout.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    const killer = this.options.killAfterMs
      ? setTimeout(() => child.kill('SIGKILL'), this.options.killAfterMs)
      : undefined;
    const exitCode = await new Promise<number | null>((resolveExit, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolveExit(code));
    });
    clearTimeout(killer);
    const durationMs = performance.now() - started;

    const files = {
      env: readFileSync(paths.env, 'utf8'),
      output: readFileSync(paths.output, 'utf8'),
      state: readFileSync(paths.state, 'utf8'),
      summary: readFileSync(paths.summary, 'utf8')
    };
    const exported = parseFileCommands(files.env);
    // File commands apply after the process exits, even when the step failed.
    Object.assign(this.env, exported);
    // Commands on stdout act as they are read, before the files: the files win on a clash.
    const renderer = new LogRenderer({ debug: this.options.debug ?? false, masks: this.masks });
    const log = renderer.render(raw);
    return {
      exitCode,
      raw,
      log,
      commands: renderer.commands,
      commandsStopped: renderer.stopped,
      exported,
      outputs: { ...namedValues(renderer.commands, 'set-output'), ...parseFileCommands(files.output) },
      state: { ...namedValues(renderer.commands, 'save-state'), ...parseFileCommands(files.state) },
      summary: files.summary,
      files,
      durationMs,
      startedAt: started
    };
  }

  mask(text: string): string {
    return new LogRenderer({ masks: this.masks }).mask(text);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
