import './events.css';

import { RunLink, TriggerName } from '../../components';
import { formatTime, shortId } from '../../format';
import { useClient } from '../../session-context';
import { KEPT_EVENTS, type RoutedEvent, useLiveEvents } from './live-events';
import { PublishForm } from './publish-form';
import { ReplayForm } from './replay-form';

export function EventsPage() {
  const client = useClient();
  // Keyed by workspace: another workspace starts with an empty table and its own stream.
  return <EventsView key={client.workspace} />;
}

function EventsView() {
  const client = useClient();
  const live = useLiveEvents();

  return (
    <section aria-labelledby="events-heading" className="events-page">
      <h1 id="events-heading">Events</h1>
      <p>
        Record events of {client.workspace} as the router routes them, each with the runs it started.{' '}
        <strong>Only events that arrive while this page is open are shown</strong>: nothing earlier, and nothing routed
        while the live stream was interrupted. The newest {KEPT_EVENTS} are kept.
      </p>

      <h2 id="events-table-heading">Routed events</h2>
      <p className="live-state" role="status" data-events-live={live.state}>
        <span className={`dot dot-${live.state}`} aria-hidden="true" />
        {live.state === 'live'
          ? `Following events: ${live.arrived} since this page opened.`
          : live.state === 'connecting'
            ? 'Connecting to the events stream…'
            : 'Events stream interrupted: reconnecting… Events routed meanwhile will not be shown.'}
      </p>

      {live.events.length === 0 ? (
        <p className="empty">
          {live.state === 'connecting'
            ? 'Waiting for the events stream…'
            : 'No record events since this page opened. Publish one below, or from your services. (Seeing them needs the permission events:read.)'}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="events-table">
            <caption className="visually-hidden">
              Record events of {client.workspace} routed since this page opened, newest first, with their runs
            </caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Record</th>
                <th scope="col">Routed at</th>
                <th scope="col">Runs started</th>
                <th scope="col">Event id</th>
              </tr>
            </thead>
            <tbody>
              {live.events.map((event) => (
                <EventRow key={`${event.eventId}/${event.at}`} event={event} />
              ))}
            </tbody>
          </table>
        </div>
      )}

      <div className="events-forms">
        <PublishForm />
        <ReplayForm />
      </div>
    </section>
  );
}

function EventRow({ event }: { event: RoutedEvent }) {
  const more = event.runCount - event.runs.length;
  return (
    <tr data-event-id={event.eventId}>
      <td className="mono">{event.event}</td>
      <td>
        <span className="mono">{event.recordSlug}</span> / <span className="mono">{event.recordId}</span>
      </td>
      <td>
        <time dateTime={event.at}>{formatTime(event.at)}</time>
      </td>
      <td>
        {event.runs.length === 0 ? (
          <span className="muted">none: no trigger matched</span>
        ) : (
          <ul className="events-runs">
            {event.runs.map((run) => (
              <li key={run.jobId}>
                <RunLink jobId={run.jobId} /> <TriggerName id={run.triggerId} />
              </li>
            ))}
            {more > 0 && <li className="muted">and {more} more (see Runs)</li>}
          </ul>
        )}
      </td>
      <td className="mono" title={event.eventId}>
        {shortId(event.eventId)}
      </td>
    </tr>
  );
}
