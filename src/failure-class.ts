/*
 * Which failures are worth another attempt. Pure: decided from the error code, HTTP
 * status and message alone, so the rules are tested directly.
 */

/** retry: transient; new-token: fetch a fresh OIDC token, then retry; fail: stop now. */
export type FailureClass = 'retry' | 'new-token' | 'fail';

export interface RequestFailureFacts {
  code: string;
  httpStatus?: number | undefined;
  message: string;
}

const TRANSIENT_STS_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'IDPCommunicationError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable'
]);

/** Network failures where the same request may well succeed a moment later. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'TimeoutError',
  'SocketHangUp'
]);

export function classifyStsFailure(failure: RequestFailureFacts): FailureClass {
  if (failure.code === 'ExpiredTokenException' || failure.code === 'ExpiredToken') return 'new-token';
  if (TRANSIENT_STS_CODES.has(failure.code) || TRANSIENT_NETWORK_CODES.has(failure.code)) return 'retry';
  // STS could not fetch GitHub's keys in time: GitHub's side, not the configuration.
  if (isVerificationKeyFailure(failure)) return 'retry';
  if (failure.httpStatus !== undefined && failure.httpStatus >= 500) return 'retry';
  return 'fail';
}

/** STS: "Couldn't retrieve verification key from your identity provider". */
export function isVerificationKeyFailure(failure: RequestFailureFacts): boolean {
  return failure.code === 'InvalidIdentityToken' && /verification key/i.test(failure.message);
}

export function classifyOidcFailure(failure: RequestFailureFacts): FailureClass {
  if (TRANSIENT_NETWORK_CODES.has(failure.code)) return 'retry';
  if (failure.httpStatus !== undefined && (failure.httpStatus >= 500 || failure.httpStatus === 429)) return 'retry';
  return 'fail';
}
