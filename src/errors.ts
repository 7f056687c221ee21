// Errors that carry a code and tell the reader how to fix the problem.
// Each entry point (CLI command, HTTP handler, scheduled job) has one boundary that prints/logs them.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'ENV_INVALID'
  | 'ENV_MISSING'
  | 'DB_UNREACHABLE'
  | 'DB_MIGRATION_FAILED'
  | 'DB_LOCKED'
  | 'HUBSPOT_AUTH'
  | 'HUBSPOT_RATE_LIMITED'
  | 'HUBSPOT_DAILY_LIMIT'
  | 'HUBSPOT_UNAVAILABLE'
  | 'HUBSPOT_BAD_RESPONSE'
  | 'HUBSPOT_API_RETIRED'
  | 'HUBSPOT_NOT_FOUND'
  | 'HUBSPOT_WRITE_REFUSED'
  | 'SLACK_AUTH'
  | 'SLACK_NOT_IN_CHANNEL'
  | 'SLACK_API'
  | 'DIGEST_NOT_READY'
  | 'USAGE';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** What the person running Heed should do about it. */
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, options: { fix?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.fix = options.fix;
  }

  /** One line (two with the fix) fit for a terminal or a log message. */
  describe(): string {
    return this.fix ? `${this.message}\n  To fix: ${this.fix}` : this.message;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
