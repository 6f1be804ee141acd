/** Throwaway keys and certificates: the token issuer's signing certificate, and a CA with a server certificate for HTTPS listeners. */
import { webcrypto } from 'node:crypto';
// @peculiar/x509 2 expects the Reflect metadata polyfill to be loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface TlsMaterial {
  /** PEM of the CA certificate: give it to clients as NODE_EXTRA_CA_CERTS. */
  caPem: string;
  keyPem: string;
  certPem: string;
}

/** RS256 keys: what GitHub signs tokens with, and what the certificates use. */
const ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048
};
const DAY_MS = 86400_000;

x509.cryptoProvider.set(webcrypto as never);

export async function generateRsaKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

/** A self-signed certificate for `keys`, valid from yesterday for `days`. */
export function selfSignedCertificate(
  name: string,
  keys: webcrypto.CryptoKeyPair,
  days: number,
  extensions: x509.Extension[] = []
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + days * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions
  });
}

const pem = (label: string, der: ArrayBuffer): string => {
  const body = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
};

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A CA and a server certificate for `hostnames` (DNS names, or IPv4 addresses such as 127.0.0.1). */
export async function createTlsMaterial(hostnames: string[]): Promise<TlsMaterial> {
  const caKeys = await generateRsaKeys();
  const ca = await selfSignedCertificate('CN=emulator test CA', caKeys, 7, [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)
  ]);
  const serverKeys = await generateRsaKeys();
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${hostnames[0]}`,
    issuer: ca.subject,
    notBefore: ca.notBefore,
    notAfter: ca.notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.SubjectAlternativeNameExtension(
        hostnames.map((value) => ({ type: IPV4.test(value) ? ('ip' as const) : ('dns' as const), value }))
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])
    ]
  });
  return {
    caPem: ca.toString('pem') + '\n',
    certPem: server.toString('pem') + '\n',
    keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey))
  };
}
