import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section aria-labelledby="nf-heading">
      <h1 id="nf-heading">Page not found</h1>
      <p>
        Nothing here. <Link to="/runs">See the runs</Link>.
      </p>
    </section>
  );
}
