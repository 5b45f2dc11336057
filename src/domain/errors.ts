/**
 * Expected failures are values: the closed set of error codes of the spec, with the HTTP status
 * each one keeps. Use-cases return Result<T>; bugs throw.
 */
export const errorStatus = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  account_suspended: 403,
  not_found: 404,
  insufficient_balance: 409,
  kyc_required: 409,
  invalid_state: 409,
  request_in_progress: 409,
  arrears_outstanding: 409,
  balance_below_threshold: 409,
  refresh_limit_reached: 409,
  replacement_quota_exceeded: 409,
  email_taken: 409,
  username_taken: 409,
  insufficient_inventory: 422,
  quantity_out_of_range: 422,
  idempotency_key_reused: 422,
  city_not_selectable: 422,
  compute_power_mismatch: 422,
  voucher_not_applicable: 422,
  voucher_invalid: 422,
  card_invalid: 422,
  card_expired: 422,
  refund_exceeds_paid: 422,
  rate_limited: 429,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface DomainError {
  code: ErrorCode;
  message: string;
  param?: string;
  /** extra machine-readable detail, e.g. a card decline reason */
  detail?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DomainError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err(
  code: ErrorCode,
  message: string,
  extra: { param?: string; detail?: Record<string, unknown> } = {},
): { ok: false; error: DomainError } {
  return { ok: false, error: { code, message, ...extra } };
}

/** Thrown inside a transaction to roll it back while carrying an expected failure out. */
export class DomainFailure extends Error {
  constructor(readonly error: DomainError) {
    super(error.message);
    this.name = 'DomainFailure';
  }
}
