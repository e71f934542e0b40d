export function EventsPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Events</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
