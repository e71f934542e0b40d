import './settings.css';

import type { SystemStatus } from '@signalbox/sdk';
import { useQuery } from '@tanstack/react-query';

import { answer } from '../../api';
import { ErrorNotice, Loading } from '../../components';
import { formatTime } from '../../format';
import { useClient } from '../../session-context';

const REFRESH_MS = 10_000;

type ServiceStatus = Extract<SystemStatus['services'][number], { version: string }>;

function answered(service: SystemStatus['services'][number]): service is ServiceStatus {
  return 'version' in service;
}

export function StatusPage() {
  const client = useClient();
  const status = useQuery({
    queryKey: ['system-status', client.workspace],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/system/status', {
          params: { path: { workspace: client.workspace } },
          signal,
        }),
      ),
    refetchInterval: REFRESH_MS,
    refetchIntervalInBackground: false,
  });

  return (
    <section aria-labelledby="status-heading">
      <h1 id="status-heading">Status</h1>
      <p className="muted">
        Each of the platform's services, asked over NATS by data-service. Refreshed every {REFRESH_MS / 1000} s.
      </p>
      {status.isPending ? (
        <Loading what="the status" />
      ) : status.isError && !status.data ? (
        <ErrorNotice error={status.error} what="the status" retry={() => void status.refetch()} />
      ) : (
        <>
          <div className="status-summary">
            <span
              className={`badge ${status.data.ready ? 'badge-completed' : 'badge-failed'}`}
              data-ready={status.data.ready}
            >
              {status.data.ready ? 'All services ready' : 'Not every service is ready'}
            </span>
            <span className="muted" role="status">
              Checked at {formatTime(new Date(status.dataUpdatedAt).toISOString())}
              {status.isFetching ? ' (checking…)' : ''}
            </span>
          </div>
          {status.isError && <ErrorNotice error={status.error} what="the latest status" />}
          {status.data.services.length === 0 ? (
            <p className="empty">No service answered.</p>
          ) : (
            <div className="table-wrap">
              <table className="services">
                <caption className="visually-hidden">The platform's services and their readiness</caption>
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">State</th>
                    <th scope="col">Version</th>
                    <th scope="col">Instance</th>
                    <th scope="col">Uptime</th>
                    <th scope="col">Dependencies</th>
                  </tr>
                </thead>
                <tbody>
                  {status.data.services.map((service) => (
                    <ServiceRow key={service.name} service={service} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function ServiceRow({ service }: { service: SystemStatus['services'][number] }) {
  return (
    <tr data-service={service.name} data-ready={service.ready}>
      <th scope="row" className="mono">
        {service.name}
      </th>
      <td>
        <span className={`badge ${service.ready ? 'badge-completed' : 'badge-failed'}`}>
          {service.ready ? 'ready' : answered(service) ? 'not ready' : 'unreachable'}
        </span>
      </td>
      {answered(service) ? (
        <>
          <td className="mono">{service.version}</td>
          <td className="mono">{service.instanceId}</td>
          <td>{formatUptime(service.uptimeSeconds)}</td>
          <td>
            {Object.keys(service.checks).length === 0 ? (
              '—'
            ) : (
              <ul className="checks-list">
                {Object.entries(service.checks).map(([name, check]) => (
                  <li key={name} className={check.ok ? 'check-ok' : 'check-bad'}>
                    {name}: {check.ok ? 'ok' : `failing${check.error ? ` (${check.error})` : ''}`}
                  </li>
                ))}
              </ul>
            )}
          </td>
        </>
      ) : (
        <td colSpan={4} className="field-error">
          {service.error}
        </td>
      )}
    </tr>
  );
}

/** 42 s, 5 min 3 s, 2 h 7 min, 3 d 4 h. */
function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
