/*
 * Session tags on AssumeRole, as configure-aws-credentials sends them, so trust and
 * permission policies written for it (aws:RequestTag/…, aws:PrincipalTag/…) keep working.
 * AssumeRoleWithWebIdentity takes no tags: there the token's claims play that part.
 */
import { ActionError } from './errors.ts';
import type { RunContext } from './run-context.ts';

export interface SessionTag {
  key: string;
  value: string;
}

/** What STS accepts in a tag value (API_Tag); anything else becomes "_". */
const NOT_TAG_TEXT = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;
const MAX_TAG_VALUE_CHARS = 256;

export function tagValue(text: string): string {
  return [...text.replace(NOT_TAG_TEXT, '_')].slice(0, MAX_TAG_VALUE_CHARS).join('');
}

/** The tags this action sets, in the order configure-aws-credentials sends them, and where each value comes from. */
const SESSION_TAG_VALUES: [key: string, value: (run: RunContext) => string][] = [
  ['GitHub', () => 'Actions'],
  ['Repository', (run) => run.repository],
  ['Workflow', (run) => run.workflow],
  ['Action', (run) => run.action],
  ['Actor', (run) => run.actor],
  ['Commit', (run) => run.sha],
  ['Branch', (run) => run.ref]
];

export const SESSION_TAG_KEYS = SESSION_TAG_VALUES.map(([key]) => key);

/** The tags every AssumeRole carries unless role-skip-session-tagging is true; empty values are left out. */
export function defaultSessionTags(run: RunContext): SessionTag[] {
  return SESSION_TAG_VALUES.map(([key, value]) => ({ key, value: value(run) }))
    .filter((tag) => tag.value !== '')
    .map(({ key, value }) => ({ key, value: tagValue(value) }));
}

/** transitive-tag-keys: one key a line (commas also separate), each one of the tags this action sets. */
export function parseTransitiveTagKeys(value: string, skipTagging: boolean): string[] {
  const keys = value
    .split(/[\r\n,]+/)
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (keys.length && skipTagging) {
    throw new ActionError(
      'Input transitive-tag-keys needs session tags, but role-skip-session-tagging is true: remove one of the two'
    );
  }
  const unknown = keys.find((key) => !SESSION_TAG_KEYS.includes(key));
  if (unknown !== undefined) {
    throw new ActionError(
      `Input transitive-tag-keys has "${unknown}", which is not a session tag this action sets: use some of ${SESSION_TAG_KEYS.join(', ')}`
    );
  }
  return [...new Set(keys)];
}

/** role-external-id as STS takes it: 2 to 1224 of letters, digits and +=,.@:/- . */
export function parseExternalId(value: string): string | undefined {
  if (value === '') return undefined;
  if (!/^[\w+=,.@:/-]{2,1224}$/.test(value)) {
    throw new ActionError(
      'Input role-external-id is not an external id STS accepts: use 2 to 1224 letters, digits and + = , . @ : / -'
    );
  }
  return value;
}
