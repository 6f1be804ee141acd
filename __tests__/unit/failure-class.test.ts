import { classifyOidcFailure, classifyStsFailure } from '../../src/failure-class.ts';

describe('which STS failures are retried', () => {
  it.each([
    ['Throttling', 400, 'Rate exceeded', 'retry'],
    ['IDPCommunicationError', 400, 'could not be reached', 'retry'],
    ['InvalidIdentityToken', 400, "Couldn't retrieve verification key from your identity provider", 'retry'],
    ['InternalFailure', 500, 'An internal error occurred.', 'retry'],
    ['Unknown', 502, 'Unknown', 'retry'],
    ['ECONNRESET', undefined, 'socket hang up', 'retry'],
    ['ETIMEDOUT', undefined, 'connect ETIMEDOUT', 'retry'],
    ['EAI_AGAIN', undefined, 'getaddrinfo EAI_AGAIN', 'retry'],
    ['TimeoutError', undefined, 'request timed out', 'retry'],
    ['ExpiredTokenException', 400, 'Token expired', 'new-token'],
    ['AccessDenied', 403, 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 'fail'],
    ['InvalidIdentityToken', 400, 'Incorrect token audience', 'fail'],
    ['InvalidIdentityToken', 400, 'No OpenIDConnect provider found in your account for https://x', 'fail'],
    ['IDPRejectedClaim', 403, 'rejected', 'fail'],
    ['RegionDisabledException', 403, 'not activated', 'fail'],
    ['ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.', 'fail'],
    ['MalformedPolicyDocument', 400, 'bad', 'fail'],
    ['PackedPolicyTooLarge', 400, 'too large', 'fail'],
    ['ECONNREFUSED', undefined, 'connect ECONNREFUSED', 'fail'],
    ['ENOTFOUND', undefined, 'getaddrinfo ENOTFOUND', 'fail'],
    ['InvalidResponse', 200, 'the body is not STS XML', 'fail']
  ])('%s (HTTP %s, "%s") → %s', (code, httpStatus, message, expected) => {
    expect(classifyStsFailure({ code, httpStatus, message })).toBe(expected);
  });
});

describe('which OIDC token failures are retried', () => {
  it.each([
    ['HTTP_500', 500, 'retry'],
    ['HTTP_503', 503, 'retry'],
    ['HTTP_429', 429, 'retry'],
    ['ECONNRESET', undefined, 'retry'],
    ['TimeoutError', undefined, 'retry'],
    ['HTTP_401', 401, 'fail'],
    ['HTTP_403', 403, 'fail'],
    ['HTTP_404', 404, 'fail'],
    ['InvalidJson', 200, 'fail'],
    ['ECONNREFUSED', undefined, 'fail']
  ])('%s → %s', (code, httpStatus, expected) => {
    expect(classifyOidcFailure({ code, httpStatus, message: code })).toBe(expected);
  });
});
