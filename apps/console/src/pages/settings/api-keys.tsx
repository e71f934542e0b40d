export function ApiKeysPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">API keys</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
