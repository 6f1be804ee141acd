/*
 * The token's issuer (`iss`), which IAM names its OIDC provider after. github.com's is
 * fixed; GitHub Enterprise has others: https://token.actions.githubusercontent.com/SLUG
 * (an enterprise's unique issuer), https://token.actions.SUBDOMAIN.ghe.com (GHE.com),
 * https://HOSTNAME/_services/token (GitHub Enterprise Server).
 */

export const GITHUB_COM_ISSUER = 'https://token.actions.githubusercontent.com';

/** What IAM calls the provider, in its ARN and condition keys: the issuer without https://. */
export function issuerKey(iss: string): string {
  return iss.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/** github.com's own issuer, whose keys AWS can always fetch. */
export function isGithubComIssuer(iss: unknown): boolean {
  return iss === undefined || iss === GITHUB_COM_ISSUER;
}
