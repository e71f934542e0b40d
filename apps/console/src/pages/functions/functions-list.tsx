export function FunctionsListPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Functions</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
