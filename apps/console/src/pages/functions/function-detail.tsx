export function FunctionDetailPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Function</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
