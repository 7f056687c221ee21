// Structured logs with pino: JSON when not on a terminal, readable on one. Secrets are redacted by key,
// and tokens that slip into free text are masked by the `censorSecrets` serializer hook.
import { pino } from 'pino';

export type Logger = pino.Logger;

/** Keys whose values never reach a log line, wherever they sit in the logged object. */
const REDACT_PATHS = [
  'token',
  'accessToken',
  'botToken',
  'appToken',
  'signingSecret',
  'clientSecret',
  'password',
  'authorization',
  'Authorization',
  '*.token',
  '*.accessToken',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.clientSecret',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
  'req.headers["x-hubspot-signature-v3"]',
  'env.SLACK_BOT_TOKEN',
  'env.SLACK_SIGNING_SECRET',
  'env.SLACK_APP_TOKEN',
  'env.HUBSPOT_ACCESS_TOKEN',
  'env.HUBSPOT_CLIENT_SECRET',
];

/** Masks Slack tokens, bearer tokens and database passwords inside free text. */
export function censorSecrets(text: string): string {
  return text
    .replace(/\bxox[abposr]-[A-Za-z0-9-]+/g, 'xox?-[redacted]')
    .replace(/\bxapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]')
    .replace(/\bpat-[a-z0-9]+-[A-Za-z0-9-]+/g, 'pat-[redacted]')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]')
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1[redacted]@');
}

/**
 * A copy of a logged object with secrets masked in its string values, however deep (a URL with a password under
 * any key, a token quoted in an error's `reason`). Redaction by key cannot know every key a secret may sit under.
 * Class instances (errors, dates, buffers) are left to their serializers; the caller's object is never changed.
 */
function censorValues(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return censorSecrets(value);
  if (depth >= 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => censorValues(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, censorValues(item, depth + 1)]));
}

export type LoggerOptions = {
  level: string;
  /** Pretty output for people; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go (tests capture them). */
  destination?: pino.DestinationStream;
  /** Fields added to every line, e.g. the current request's id (src/ops/request-context.ts). */
  mixin?: () => Record<string, unknown>;
};

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    level: options.level,
    ...(options.mixin ? { mixin: options.mixin } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      // Free-text messages may quote an error from a library that included a token: mask it. The merging
      // object (first argument) gets the same treatment in its string values.
      logMethod(args, method) {
        const masked = args.map((arg, index) =>
          typeof arg === 'string' ? censorSecrets(arg) : index === 0 ? censorValues(arg) : arg,
        );
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (error: unknown) => {
        const serialized = pino.stdSerializers.err(error as Error);
        return {
          ...serialized,
          message: censorSecrets(serialized.message ?? ''),
          stack: censorSecrets(serialized.stack ?? ''),
        };
      },
    },
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(base);
}

/** A logger that drops everything (tests and library callers that do not care). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
