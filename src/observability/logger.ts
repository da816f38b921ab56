import { pino, type Logger } from 'pino';

/**
 * Field names whose values never reach a log in clear (IMSI, PINs, keys, passwords). pino's redaction
 * replaces them wherever they appear at these paths; `maskImsi` is for places that want a hint.
 */
const REDACTED_PATHS = [
  'imsi',
  'pin',
  'password',
  'key',
  'secret',
  'apiKey',
  'authorization',
  '*.imsi',
  '*.pin',
  '*.password',
  '*.key',
  '*.secret',
  '*.apiKey',
  'req.headers.authorization',
];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
}

/**
 * Store errors carry the values of the statement that failed: PGlite's its `params` (IMSIs, MSISDNs,
 * audit details), PostgreSQL's `detail` quotes the row (`Key (imsi)=(262...) already exists.`). A log
 * keeps the SQL, the code and how many values there were (issue 15 #13), never the values.
 */
export function storeSafeError(error: unknown): unknown {
  const serialised = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (serialised === null || typeof serialised !== 'object') return serialised;
  const { params, queryOptions: _options, detail, ...rest } = serialised;
  void _options;
  return {
    ...rest,
    ...(Array.isArray(params) ? { paramCount: params.length } : {}),
    ...(typeof detail === 'string' ? { detail: detail.replace(/=\(.*\)/g, '=(…)') } : {}),
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: storeSafeError, error: storeSafeError },
  });
}

/** `234150123456789` -> `23415*******789`: the network code stays readable for operators. */
export function maskImsi(imsi: string): string {
  if (imsi.length <= 8) return '*'.repeat(imsi.length);
  return imsi.slice(0, 5) + '*'.repeat(imsi.length - 8) + imsi.slice(-3);
}

export type { Logger };
