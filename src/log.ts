// The process logger: JSON lines on stdout (pino), secrets redacted.
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'postern' },
    redact: ['req.headers.authorization', 'password', '*.password', 'token', '*.token'],
  });
}
