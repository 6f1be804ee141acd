import { ActionError } from './errors.ts';
import type { RunContext } from './run-context.ts';

export const DEFAULT_SESSION_NAME_TEMPLATE = 'gha-{run_id}-{run_attempt}';

/** STS limits for RoleSessionName. */
const MIN_LENGTH = 2;
const MAX_LENGTH = 64;
const ALLOWED_CHAR = /[\w+=,.@-]/;
const DISALLOWED_RUNS = /[^\w+=,.@-]+/g;

const PLACEHOLDERS: Record<string, (run: RunContext) => string> = {
  run_id: (run) => run.runId,
  run_attempt: (run) => run.runAttempt,
  run_number: (run) => run.runNumber,
  job: (run) => run.job,
  repository: (run) => run.repository,
  repo: (run) => run.repo,
  owner: (run) => run.owner,
  workflow: (run) => run.workflow,
  actor: (run) => run.actor,
  ref_name: (run) => run.refName,
  sha: (run) => run.sha.slice(0, 7),
  event: (run) => run.eventName
};

/** These identify the run attempt in CloudTrail, so shortening never touches them. */
const NEVER_TRIMMED = new Set(['run_id', 'run_attempt']);

export type TemplatePart = { literal: string } | { placeholder: string };

const PLACEHOLDER_LIST = Object.keys(PLACEHOLDERS)
  .map((name) => `{${name}}`)
  .join(' ');

/** Checks a `role-session-name` template and splits it into literals and placeholders. */
export function parseSessionNameTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const tokens = template.split(/(\{[^{}]*\})/);
  for (const token of tokens) {
    if (token === '') continue;
    const placeholder = /^\{([^{}]*)\}$/.exec(token)?.[1];
    if (placeholder !== undefined) {
      if (!(placeholder in PLACEHOLDERS)) {
        throw new ActionError(
          `Input role-session-name has unknown placeholder {${placeholder}}: use any of ${PLACEHOLDER_LIST}`
        );
      }
      parts.push({ placeholder });
      continue;
    }
    const bad = [...token].find((char) => !ALLOWED_CHAR.test(char));
    if (bad !== undefined) {
      throw new ActionError(
        `Input role-session-name has the character "${bad}", which STS does not allow: use letters, digits and _ + = , ` +
          `. @ - besides the placeholders ${PLACEHOLDER_LIST}`
      );
    }
    parts.push({ literal: token });
  }
  return parts;
}

/**
 * Fills the template from the run. Values are made safe for STS (each run of other
 * characters becomes one "-"); a name over 64 characters is shortened by trimming the
 * longest substituted values first.
 */
export function renderSessionName(parts: TemplatePart[], run: RunContext): string {
  const pieces = parts.map((part) =>
    'literal' in part
      ? { text: part.literal, trimmable: false }
      : { text: sanitise(PLACEHOLDERS[part.placeholder]!(run)), trimmable: !NEVER_TRIMMED.has(part.placeholder) }
  );
  let excess = pieces.reduce((sum, piece) => sum + piece.text.length, 0) - MAX_LENGTH;
  while (excess > 0) {
    const longest = pieces
      .filter((piece) => piece.trimmable && piece.text.length > 0)
      .sort((a, b) => b.text.length - a.text.length)[0];
    if (!longest) break;
    longest.text = longest.text.slice(0, -1);
    excess -= 1;
  }
  const name = pieces.map((piece) => piece.text).join('');
  if (name.length > MAX_LENGTH) {
    throw new ActionError(
      `Input role-session-name: the fixed part of the template alone makes "${name}" longer than ${MAX_LENGTH} ` +
        `characters: shorten the template`
    );
  }
  if (name.length < MIN_LENGTH) {
    throw new ActionError(
      `Input role-session-name gives "${name}" for this run, shorter than ${MIN_LENGTH} characters: add literal text ` +
        `or {run_id} to the template`
    );
  }
  return name;
}

function sanitise(value: string): string {
  return value.replace(DISALLOWED_RUNS, '-').replace(/^-+|-+$/g, '');
}
