import type { RunStatus } from '@signalbox/sdk';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';

import { errorMessage, formatJson, shortId } from './format';
import { useClient } from './session-context';

const STATUS_LABELS: Record<RunStatus, string> = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  timed_out: 'timed out',
  cancelled: 'cancelled',
  sleeping: 'sleeping',
};

export const RUN_STATUSES = Object.keys(STATUS_LABELS) as RunStatus[];

export function statusLabel(status: RunStatus): string {
  return STATUS_LABELS[status];
}

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}

export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      <code>{formatJson(value)}</code>
    </pre>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, what, retry }: { error: unknown; what: string; retry?: () => void }) {
  return (
    <div role="alert" className="notice notice-error">
      <p>
        Could not load {what}: {errorMessage(error)}
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A function's name, read once and kept (it changes rarely); its id while loading or when it cannot be read. */
export function FunctionName({ id, version }: { id: string; version?: number | null }) {
  const client = useClient();
  const fn = useQuery({
    queryKey: ['function', client.workspace, id],
    queryFn: () => client.functions.get(id),
    staleTime: 5 * 60_000,
    retry: false,
  });
  return (
    <span title={id}>
      {fn.data?.name ?? shortId(id)}
      {version != null && <span className="muted"> v{version}</span>}
    </span>
  );
}

export function TriggerName({ id }: { id: string }) {
  const client = useClient();
  const trigger = useQuery({
    queryKey: ['trigger', client.workspace, id],
    queryFn: () => client.triggers.get(id),
    staleTime: 5 * 60_000,
    retry: false,
  });
  return (
    <span title={id}>
      {trigger.data?.name ?? shortId(id)}
      {trigger.data && <span className="muted"> ({trigger.data.executionType})</span>}
    </span>
  );
}

export function RunLink({ jobId }: { jobId: string }) {
  return (
    <Link to={`/runs/${jobId}`} className="mono" aria-label={`Run ${jobId}`}>
      {shortId(jobId)}
    </Link>
  );
}
