import type { ServiceName, UnreachableService } from '@signalbox/contracts';

/** A service that did not answer a system request, and why (status and usage both list them). */
export function unreachable(name: ServiceName, error: unknown): UnreachableService {
  return { name, ready: false, error: describe(error) };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error && 'message' in error) return String(error.message);
  return String(error);
}
