/*
 * The one gate for text the action did not write itself: STS codes and messages,
 * HTTP bodies, token claims, file contents, library and socket errors, URLs and input
 * values. Such text may hold line breaks that would start a workflow command
 * (`::stop-commands::`, `::set-output`), Markdown that would break the job summary, a
 * proxy password, or megabytes. Everything it reaches (log line, annotation, summary)
 * passes through here.
 */

/** C0 and C1 controls (\r \n \t, U+0085 …), DEL, line/paragraph separators, bidi overrides. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** `scheme://user:password@` in a URL anywhere in the text. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

/**
 * The runner also acts on the older command form `##[name]data` anywhere in a line, and on
 * `::name::` at a line's start after white space: neither may survive in outside text.
 */
const LEGACY_COMMAND = /##\[/g;
const LEADING_COMMAND = /^(\s*):(?=:)/;

/** Most of one external value shown in a line: enough to diagnose, not enough to flood. */
export const EXTERNAL_TEXT_LIMIT = 300;

/**
 * One line of plain, bounded text: controls replaced by a space, URL credentials
 * removed, no workflow command (`##[` becomes `## [`, a leading `::` becomes `: :`), cut
 * to `limit` characters (marked with …).
 */
export function neutralise(text: unknown, limit = EXTERNAL_TEXT_LIMIT): string {
  const raw = typeof text === 'string' ? text : String(text);
  // Cut before scanning, so a huge body costs no more than a short one.
  const head = raw.length > limit * 4 ? raw.slice(0, limit * 4) : raw;
  const clean = head
    .replace(UNSAFE_CHARACTERS, ' ')
    .replace(URL_USERINFO, '$1***@')
    .replace(LEGACY_COMMAND, '## [')
    .replace(LEADING_COMMAND, '$1: ');
  return clean.length > limit ? `${clean.slice(0, limit - 1)}…` : clean;
}

/** Lines the action prints may be long (a diagnosis), but never more than one line. */
export const LOG_LINE_LIMIT = 4000;

export function logLine(text: string): string {
  return neutralise(text, LOG_LINE_LIMIT);
}

/**
 * Text shown literally in the job summary's Markdown: neutralised, then every
 * character that Markdown or HTML could read as structure (| ` * _ < > [ ] # & …)
 * written as a numeric character reference, so a table cell stays one cell.
 */
export function markdownLiteral(text: string, limit = LOG_LINE_LIMIT): string {
  return neutralise(text, limit).replace(/[^\p{L}\p{N} .,:;/=+@()'"?-]/gu, (char) => `&#${char.codePointAt(0)};`);
}
