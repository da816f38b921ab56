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

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}

/** `234150123456789` -> `23415*******789`: the network code stays readable for operators. */
export function maskImsi(imsi: string): string {
  if (imsi.length <= 8) return '*'.repeat(imsi.length);
  return imsi.slice(0, 5) + '*'.repeat(imsi.length - 8) + imsi.slice(-3);
}

export type { Logger };
