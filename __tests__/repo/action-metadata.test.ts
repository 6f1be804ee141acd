/* action.yml against SchemaStore's github-action schema (vendored), and against the README's tables. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../emulator/runner.ts';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const schema = JSON.parse(read('vendor/schemastore/github-action.json')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
type ActionYml = {
  inputs: Record<string, { required: boolean; default?: string; description: string }>;
  outputs: Record<string, unknown>;
  runs: Record<string, string>;
};
const action = parse(read('action.yml')) as ActionYml;

describe('action.yml', () => {
  it('is valid against the github-action schema', () => {
    expect(validate(action) ? [] : validate.errors).toEqual([]);
  });

  it('the schema rejects a broken action.yml', () => {
    expect(validate({ ...action, runs: { ...action.runs, using: 'node99' } })).toBe(false);
    expect(validate({ ...action, inputs: { ...action.inputs, 'no-description': { required: false } } })).toBe(false);
  });

  it('runs main and post on node24 from dist/', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/main/index.js', post: 'dist/post/index.js' });
  });
});

describe('README tables', () => {
  const readme = read('README.md');
  const table = (heading: string) => {
    const section = readme.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
    if (!section) throw new Error(`README has no "## ${heading}" section`);
    return section
      .split('\n')
      .filter((line) => /^\| `/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
  };

  it('lists every input of action.yml, with its default, and no other', () => {
    const rows = table('Inputs');
    expect(rows.map((row) => row[1]!.replace(/`/g, '')).sort()).toEqual(Object.keys(action.inputs).sort());
    for (const row of rows) {
      const name = row[1]!.replace(/`/g, '');
      const spec = action.inputs[name]!;
      const shown = { name, default: row[2] };
      if (spec.required) expect(shown).toEqual({ name, default: '(required)' });
      else if (spec.default !== undefined)
        expect(shown.default!.startsWith(`\`${spec.default}\``) ? shown : {}).toEqual(shown);
      // No default in action.yml: the action decides (say how), or there is none; a lone value would read as action.yml's.
      else expect(shown).toEqual({ name, default: expect.not.stringMatching(/^(\(required\)|`[^`]*`)$/) });
    }
  });

  it('lists every output of action.yml, and no other', () => {
    const names = table('Outputs').flatMap((row) => [...row[1]!.matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
    expect(names.sort()).toEqual(Object.keys(action.outputs).sort());
  });
});
