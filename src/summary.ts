/** The job summary (GITHUB_STEP_SUMMARY) as Markdown. Pure: main.ts writes it. */
import { markdownLiteral } from './external-text.ts';

export interface SummaryRole {
  roleArn: string;
  profile?: string;
  accountId: string;
  expiration: Date;
}

export interface SuccessFacts {
  roles: SummaryRole[];
  sessionName: string;
  maskAccountId: boolean;
  region: string;
  /** How the run proved who it is (audience and sub, or the chain's source), from the credential source. */
  proof: [label: string, value: string][];
  now: Date;
}

/** Every value in the table, ours or not, is shown literally: it cannot end its cell or the table. */
const code = (text: string): string => `<code>${markdownLiteral(text)}</code>`;

export function successSummary(facts: SuccessFacts): string {
  const expiry = (date: Date) =>
    `${date.toISOString()} (in ${Math.round((date.getTime() - facts.now.getTime()) / 60000)} min)`;
  const account = (id: string) => (facts.maskAccountId ? '(masked: mask-aws-account-id)' : code(id || '(none)'));
  const rows: [string, string][] = [];
  for (const role of facts.roles) {
    const suffix = role.profile === undefined ? '' : ` (profile ${code(role.profile)})`;
    rows.push(
      [`Role${suffix}`, code(role.roleArn)],
      ['Account', account(role.accountId)],
      ['Expires', expiry(role.expiration)]
    );
  }
  rows.push(
    ['Session name', code(facts.sessionName)],
    ['Region', code(facts.region)],
    ...facts.proof.map(([label, value]): [string, string] => [label, code(value)])
  );
  return [
    '### AWS credentials',
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([name, value]) => `| ${name} | ${value} |`),
    ''
  ].join('\n');
}

export function failureSummary(errorLine: string, details: string[]): string {
  const lines = ['### AWS credentials: failed', '', `<b>${markdownLiteral(errorLine)}</b>`, ''];
  // <pre> rather than a ``` fence: a line of backticks in the details cannot close it.
  if (details.length) lines.push('<pre>', ...details.map((line) => markdownLiteral(line)), '</pre>', '');
  return lines.join('\n');
}
