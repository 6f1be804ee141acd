/** Which remote service a request went to. */
export type RequestService = 'oidc' | 'sts';

export interface RequestErrorFacts {
  service: RequestService;
  /**
   * STS's error code, a network error code (ECONNRESET), "HTTP_<status>" for a token
   * service refusal, or one of ours: TimeoutError, BodyTooLarge, InvalidResponse, …
   */
  code: string;
  /** Short and never a secret; for STS its own message text. */
  message: string;
  httpStatus?: number | undefined;
  /** Origin actually talked to (scheme://host[:port]), once it is known. */
  endpoint?: string | undefined;
}

/** A failed request to GitHub's token service or to STS: one shape for both. */
export class RequestError extends Error {
  readonly service: RequestService;
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly endpoint: string | undefined;
  constructor(facts: RequestErrorFacts) {
    super(facts.message);
    this.name = 'RequestError';
    this.service = facts.service;
    this.code = facts.code;
    this.httpStatus = facts.httpStatus;
    this.endpoint = facts.endpoint;
  }
}

/** The origin of a URL, without path, query or credentials: what an error may name. */
export function originOf(url: string | URL): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}
