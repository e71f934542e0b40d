import { SignalboxError } from '@signalbox/sdk';

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The time between two instants, or null when one is missing. */
export function between(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  return Math.max(0, new Date(to).getTime() - new Date(from).getTime());
}

export function formatJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    // undefined for a function or a symbol: those do not reach the console through JSON anyway
    return JSON.stringify(value, null, 2) ?? typeof value;
  } catch {
    return `(${typeof value} that is not JSON)`;
  }
}

/** What an API failure says, with its code and, for an unexpected one, the error id to quote. */
export function errorMessage(error: unknown): string {
  if (error instanceof SignalboxError) {
    const details = error.details.map((d) => `${d.path.join('.') || 'request'}: ${d.message}`).join('; ');
    const id = error.errorId ? ` (error id ${error.errorId})` : '';
    return `${error.code}: ${error.message}${details && details !== error.message ? ` — ${details}` : ''}${id}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}
