export function StatusPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Status</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
