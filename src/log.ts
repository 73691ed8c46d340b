// The process logger: JSON lines on stdout (pino), secrets redacted. Lines go through an
// asynchronous destination, so that no log write (audit and access lines on every request)
// blocks the request path; pino flushes what is buffered when the process exits.
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'postern' },
      redact: ['req.headers.authorization', 'password', '*.password', 'token', '*.token'],
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
