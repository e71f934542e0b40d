/**
 * Previous and next page of a list paged on the server, with where the reader is: "Page 2 of 5 (118 runs)".
 * `things` names the items: [one, several].
 */
export function Pager({
  page,
  limit,
  total,
  things,
  onPage,
}: {
  page: number;
  limit: number;
  total: number;
  things: readonly [string, string];
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav className="pager" aria-label={`Pages of ${things[1]}`}>
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous page
      </button>
      <span>
        Page {page} of {pages} ({total} {total === 1 ? things[0] : things[1]})
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next page
      </button>
    </nav>
  );
}
