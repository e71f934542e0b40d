export function WebhookDetailPage() {
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading">Outbound webhook</h1>
      <p className="empty">Coming soon.</p>
    </section>
  );
}
