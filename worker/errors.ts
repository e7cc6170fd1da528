// The one error type of the API. Services throw it with a code; `errorResponse` is the single place that
// turns any error into a status and a JSON body, in the envelope of the surface that was called.
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

const STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHORISED: 401,
  FORBIDDEN: 403,
  SESSION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  MEDIA_NOT_FOUND: 404,
  GROUP_NOT_FOUND: 404,
  INVITE_INVALID: 404,
  NOT_GROUP_ADMIN: 403,
  METHOD_NOT_ALLOWED: 405,
  UPGRADE_REQUIRED: 426,
  SESSION_EXISTS: 409,
  SESSION_CREATED_ANONYMOUSLY: 409,
  SESSION_NOT_CONNECTED: 409,
  ALREADY_LOGGED_IN: 409,
  EDIT_WINDOW_CLOSED: 409,
  NOT_EDITABLE: 409,
  LENGTH_REQUIRED: 411,
  ALREADY_DELIVERED: 409,
  ALREADY_SENT: 409,
  CONNECTOR_LEASE_HELD: 409,
  NO_OTHER_CONNECTOR: 409,
  SESSION_MOVED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SEND_FAILED: 502,
  MEDIA_UNAVAILABLE: 502,
  CONNECTOR_OFFLINE: 503,
  MISCONFIGURED: 503,
  UNAVAILABLE: 503,
  SESSION_NOT_READY: 503,
  CONNECTOR_TIMEOUT: 504,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof STATUS;

/** The codes a status can carry, for the reference's error examples. */
export function codesWithStatus(status: number): ErrorCode[] {
  return (Object.keys(STATUS) as ErrorCode[]).filter((code) => STATUS[code] === status);
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable detail, e.g. the failing fields of a validation error. */
  readonly details: unknown;
  /** Extra response headers, e.g. Retry-After on 429. */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): ContentfulStatusCode {
    return STATUS[this.code];
  }
}

/** Which response envelope a route speaks: `{success:false,error,code}` or the Laravel `{error}`. */
export type Surface = 'session-key' | 'laravel';

/** Hono's own HTTP errors (body parsing, media type, body size) speak our vocabulary too. */
function fromHttpException(error: HTTPException): ApiError {
  switch (error.status) {
    case 413:
      return new ApiError('PAYLOAD_TOO_LARGE', 'Request body too large');
    case 415:
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    case 400:
      return new ApiError('MALFORMED_JSON', 'Request body is not valid JSON');
    default:
      return new ApiError('VALIDATION_FAILED', error.message || 'Bad request');
  }
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  // Anything else is an outage below us (the database) or our bug: say so without leaking internals.
  console.error('unexpected error', error);
  return new ApiError('UNAVAILABLE', 'The service is temporarily unavailable; retry shortly');
}

export function errorResponse(error: unknown, surface: Surface): Response {
  const apiError = toApiError(error);
  const body =
    surface === 'laravel'
      ? { error: apiError.message }
      : {
          success: false,
          error: apiError.message,
          code: apiError.code,
          ...(apiError.details === undefined ? {} : { details: apiError.details }),
        };
  return new Response(JSON.stringify(body), {
    status: apiError.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...apiError.headers },
  });
}
