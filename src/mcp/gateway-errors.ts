// How the gateway's handlers answer a failed backend call: a backend's JSON-RPC error keeps its
// code, an unknown name is invalid params (a resource: not found), a backend that is down is an
// internal error.
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError } from '@modelcontextprotocol/server';
import { BackendUnavailable, UnknownTarget } from '../backends/errors.js';

export function toProtocolError(err: unknown, uri?: string): never {
  if (err instanceof ProtocolError) throw err;
  if (err instanceof UnknownTarget) {
    if (uri !== undefined) throw new ResourceNotFoundError(uri);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
  }
  if (err instanceof BackendUnavailable) throw new ProtocolError(ProtocolErrorCode.InternalError, err.message);
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : ProtocolErrorCode.InternalError;
  throw new ProtocolError(code, err instanceof Error ? err.message : String(err));
}
