export function TriggersListPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Triggers</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
