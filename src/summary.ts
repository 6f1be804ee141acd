/** The job summary (GITHUB_STEP_SUMMARY) as Markdown. Pure: main.ts writes it. */

export interface SuccessFacts {
  roleArn: string;
  sessionName: string;
  accountId: string;
  maskAccountId: boolean;
  region: string;
  audience: string;
  subject: string;
  expiration: Date;
  now: Date;
}

const code = (text: string): string => `\`${text.replace(/[`|\r\n]/g, ' ')}\``;

export function successSummary(facts: SuccessFacts): string {
  const minutes = Math.round((facts.expiration.getTime() - facts.now.getTime()) / 60000);
  const rows: [string, string][] = [
    ['Role', code(facts.roleArn)],
    ['Session name', code(facts.sessionName)],
    ['Account', facts.maskAccountId ? '(masked: mask-aws-account-id)' : code(facts.accountId || '(none)')],
    ['Region', code(facts.region)],
    ['Audience', code(facts.audience)],
    ["Token's sub", code(facts.subject || '(unknown)')],
    ['Expires', `${facts.expiration.toISOString()} (in ${minutes} min)`]
  ];
  return ['### AWS credentials', '', '| | |', '|---|---|', ...rows.map(([name, value]) => `| ${name} | ${value} |`), ''].join('\n');
}

export function failureSummary(errorLine: string, details: string[]): string {
  const lines = ['### AWS credentials: failed', '', `**${errorLine.replace(/\*/g, '\\*')}**`, ''];
  if (details.length) lines.push('```', ...details, '```', '');
  return lines.join('\n');
}
