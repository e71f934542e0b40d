/** One page of a list: its items and where it stands (the API's `{ <items>, total, page, limit }`). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly page: number;
  readonly limit: number;
}

/**
 * Every item of a paged list, page after page, fetching the next page only when the caller gets there
 * (`for await (const run of client.runs.list())`). Stops at the last page or an empty one. Pages are offsets:
 * a loop that changes what the filter matches (retrying the failed runs it lists) should collect the list
 * first, or it skips items.
 */
export function pages<T>(fetchPage: (page: number) => Promise<Page<T>>): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      for (let page = 1; ; page++) {
        const answer = await fetchPage(page);
        yield* answer.items;
        if (answer.items.length === 0 || page * answer.limit >= answer.total) return;
      }
    },
  };
}
