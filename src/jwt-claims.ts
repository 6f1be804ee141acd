/**
 * Reads a JWT's claims without verifying it: we only use them to explain a refusal
 * and to tell when the token is about to expire. STS does the verifying.
 */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Seconds until the token's `exp`, or Infinity when it has none. */
export function secondsUntilExpiry(claims: Record<string, unknown>, now: Date): number {
  return typeof claims.exp === 'number' ? claims.exp - now.getTime() / 1000 : Infinity;
}
