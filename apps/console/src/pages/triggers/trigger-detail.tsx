export function TriggerDetailPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Trigger</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
