// A command given the wrong arguments or refused for a reason the operator can fix: printed as
// "postern: <message>" with exit code 2, without a stack trace.
export class UsageError extends Error {
  override name = 'UsageError';
}
