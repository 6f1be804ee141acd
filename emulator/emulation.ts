/** The pieces around the action on 127.0.0.1: GitHub's token service and an STS, wired together. */
import { issuerUrlFor, startOidcIssuer, type IssuerForm, type OidcIssuer } from './oidc-issuer.ts';
import { Job, type JobOptions } from './runner.ts';
import { startStsStub, type StsStub } from './sts-stub.ts';
import { providerNameOf } from '../tools/trust-policy.ts';
import type { NetworkConditions } from './http-server.ts';
import type { TlsMaterial } from './tls.ts';

export const DEMO_ROLE_ARN = 'arn:aws:iam::123456789012:role/deploy';
/** GitHub's issuer https://token.actions.githubusercontent.com as IAM names it. */
export const GITHUB_PROVIDER_NAME = 'token.actions.githubusercontent.com';

export interface Emulation {
  issuer: OidcIssuer;
  sts: StsStub;
  /** A job with `permissions: id-token: write`, unless told otherwise. */
  job(options?: JobOptions & { idTokenPermission?: boolean }): Job;
  /** The inputs a workflow would give, pointed at the local STS. */
  inputs(extra?: Record<string, string>): Record<string, string>;
  /**
   * Tokens name this issuer from now on (served by the local token service under the
   * issuer's path), and the account is set up for it as the README says: its provider
   * (audience sts.amazonaws.com) and the demo role trusting the repository under that
   * provider's condition keys.
   */
  useIssuer(form: IssuerForm): void;
  close(): Promise<void>;
}

/**
 * With `tls`, both services also listen over HTTPS (see tlsPort) with that certificate;
 * with `network`, those HTTPS listeners answer as if farther away.
 */
export async function startEmulation(
  tls?: TlsMaterial,
  network?: { token?: NetworkConditions; sts?: NetworkConditions }
): Promise<Emulation> {
  const issuer = await startOidcIssuer(tls, network?.token);
  const sts = await startStsStub(tls, network?.sts);
  // As an AWS account set up per the README: GitHub's provider with audience
  // sts.amazonaws.com, and a role trusting this repository.
  // The local issuer stands in for GitHub's, so trust policies name GitHub's provider and keys.
  sts.providers.push({ issuer: issuer.url, clientIds: ['sts.amazonaws.com'], name: GITHUB_PROVIDER_NAME });
  sts.addRole({
    arn: DEMO_ROLE_ARN,
    maxSessionDuration: 3600,
    trust: {
      StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
      StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:*' }
    }
  });
  const useIssuer = (form: IssuerForm): void => {
    const iss = issuerUrlFor(form);
    issuer.run = { ...issuer.run, issuer: iss };
    sts.providers.splice(0, sts.providers.length, {
      issuer: iss,
      clientIds: ['sts.amazonaws.com'],
      keysFrom: issuer.url
    });
    const name = providerNameOf(iss);
    sts.addRole({
      arn: DEMO_ROLE_ARN,
      maxSessionDuration: 3600,
      trust: {
        StringEquals: { [`${name}:aud`]: 'sts.amazonaws.com' },
        StringLike: { [`${name}:sub`]: 'repo:octo-org/octo-repo:*' }
      }
    });
  };
  const jobs: Job[] = [];
  return {
    issuer,
    sts,
    useIssuer,
    job: ({ idTokenPermission = true, ...options } = {}) => {
      const job = new Job({
        ...(idTokenPermission ? { idToken: { requestUrl: issuer.requestUrl, requestToken: issuer.requestToken } } : {}),
        ...options
      });
      jobs.push(job);
      return job;
    },
    inputs: (extra = {}) => ({
      'role-to-assume': DEMO_ROLE_ARN,
      'aws-region': 'eu-west-2',
      'sts-endpoint': sts.url,
      ...extra
    }),
    close: async () => {
      for (const job of jobs) job.cleanup();
      await Promise.all([issuer.close(), sts.close()]);
    }
  };
}
