/*
 * The network the bench puts between the action and its two services. "loopback": plain
 * HTTP on 127.0.0.1, answered at once. "realistic": HTTPS with a test CA the action trusts
 * through NODE_EXTRA_CA_CERTS, and the round trips of a runner that is far from the token
 * service and near STS: a new connection waits 2 round trips (TCP, then the TLS 1.3
 * handshake), each request 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../emulator/emulation.ts';
import type { NetworkConditions } from '../emulator/http-server.ts';
import type { Job, JobOptions } from '../emulator/runner.ts';
import { createTlsMaterial } from '../emulator/tls.ts';

export type ProfileName = 'loopback' | 'realistic';

export interface Profile {
  name: ProfileName;
  /** Round-trip times in ms, per service (0 on loopback). */
  rttMs: { token: number; sts: number };
}

/** Round trips a new connection costs before its first request can be sent. */
export const HANDSHAKE_ROUND_TRIPS = 2;

export const describeProfile = (profile: Profile): string =>
  profile.name === 'loopback'
    ? 'loopback: plain HTTP on 127.0.0.1, no added delay'
    : `realistic: HTTPS (test CA via NODE_EXTRA_CA_CERTS); round trip ${profile.rttMs.token} ms to the token service, ` +
      `${profile.rttMs.sts} ms to STS; a new connection waits ${HANDSHAKE_ROUND_TRIPS} round trips (TCP + TLS 1.3), a request 1`;

const conditions = (rttMs: number): NetworkConditions => ({
  connectionDelayMs: HANDSHAKE_ROUND_TRIPS * rttMs,
  requestDelayMs: rttMs
});

/** The emulation under a profile, with jobs and inputs pointed at the right listeners. */
export interface Setting {
  emulation: Emulation;
  job(options?: JobOptions): Job;
  inputs(extra?: Record<string, string>): Record<string, string>;
}

export async function withSetting<T>(profile: Profile, fn: (setting: Setting) => Promise<T>): Promise<T> {
  if (profile.name === 'loopback') {
    const emulation = await startEmulation();
    try {
      return await fn({
        emulation,
        job: (options) => emulation.job(options),
        inputs: (extra) => emulation.inputs(extra)
      });
    } finally {
      await emulation.close();
    }
  }
  const tls = await createTlsMaterial(['127.0.0.1']);
  const dir = mkdtempSync(join(tmpdir(), 'bench-ca-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, tls.caPem);
  const emulation = await startEmulation(tls, {
    token: conditions(profile.rttMs.token),
    sts: conditions(profile.rttMs.sts)
  });
  try {
    const tokenUrl = `https://127.0.0.1:${emulation.issuer.tlsPort}/token?api-version=2.0`;
    return await fn({
      emulation,
      job: (options = {}) =>
        emulation.job({
          ...options,
          env: { NODE_EXTRA_CA_CERTS: caFile, ...options.env },
          idToken: { requestUrl: tokenUrl, requestToken: emulation.issuer.requestToken }
        }),
      inputs: (extra) => emulation.inputs({ 'sts-endpoint': `https://127.0.0.1:${emulation.sts.tlsPort}`, ...extra })
    });
  } finally {
    await emulation.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
