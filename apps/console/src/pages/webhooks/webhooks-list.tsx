export function WebhooksListPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Outbound webhooks</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
