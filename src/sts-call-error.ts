/** Raised when STS (or the way to it) fails; `code` is STS's error code or the network error's. */
export class StsCallError extends Error {
  readonly code: string;
  readonly httpStatus: number | undefined;
  constructor(code: string, message: string, httpStatus: number | undefined) {
    super(message);
    this.name = 'StsCallError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}
