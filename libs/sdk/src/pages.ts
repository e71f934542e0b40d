/** One page of a list: its items and where it stands (seed 000's `{ <items>, total, page, limit }`). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly page: number;
  readonly limit: number;
}

/**
 * Every item of a paged list, page after page, fetching the next page only when the caller gets there
 * (`for await (const run of client.runs.list())`). Stops at the last page or an empty one.
 */
export function pages<T>(fetchPage: (page: number) => Promise<Page<T>>): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      for (let page = 1; ; page++) {
        const answer = await fetchPage(page);
        yield* answer.items;
        if (answer.items.length === 0 || answer.page * answer.limit >= answer.total) return;
      }
    },
  };
}
