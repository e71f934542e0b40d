/**
 * Jobs waiting for a sandbox worker, taken fairly between workspaces instead of first in, first out: the next
 * job is the first of the workspace that has the fewest jobs running, so one workspace's burst (or its
 * 1-second schedules) takes turns with everyone else's instead of standing in front of them. Within a
 * workspace jobs go by rank: when they came, less their priority's head start (`headStartMs`), so a job of
 * high priority passes those that came less than its head start before it, and none waits forever.
 */
export class FairQueue<T> {
  /** Each workspace's jobs in (rank, seq) order: `seq` keeps equal ranks in the order they came. */
  private readonly waiting = new Map<string, Array<{ item: T; rank: number; seq: number }>>();
  private readonly running = new Map<string, number>();
  private seq = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(key: string, item: T, headStartMs = 0, now = Date.now()): void {
    const queue = this.waiting.get(key) ?? [];
    const rank = now - headStartMs;
    // After every job of the same or a better rank: equal ranks keep the order they came in.
    let at = queue.length;
    while (at > 0 && queue[at - 1].rank > rank) at--;
    queue.splice(at, 0, { item, rank, seq: this.seq++ });
    this.waiting.set(key, queue);
    this.count++;
  }

  /** The next job, counted as running for its workspace until `done(key)` (or `putBack`). */
  take(): T | undefined {
    let best: string | undefined;
    let bestRunning = Infinity;
    let bestSeq = Infinity;
    for (const [key, queue] of this.waiting) {
      const running = this.running.get(key) ?? 0;
      const { seq } = queue[0];
      // Between workspaces, the one whose first job came first: priority orders a workspace's own jobs only.
      const earlier = seq < bestSeq;
      if (running < bestRunning || (running === bestRunning && earlier)) {
        [best, bestRunning, bestSeq] = [key, running, seq];
      }
    }
    if (best === undefined) return undefined;
    const queue = this.waiting.get(best)!;
    const { item } = queue.shift()!;
    if (queue.length === 0) this.waiting.delete(best);
    this.running.set(best, bestRunning + 1);
    this.count--;
    return item;
  }

  /** A taken job that could not start goes back to the front of its workspace's queue. */
  putBack(key: string, item: T): void {
    this.done(key);
    const queue = this.waiting.get(key) ?? [];
    queue.unshift({ item, rank: -Infinity, seq: -1 - this.seq++ });
    this.waiting.set(key, queue);
    this.count++;
  }

  /** Takes out the first waiting job that `matches` (it never runs), or answers undefined. */
  remove(matches: (item: T) => boolean): T | undefined {
    for (const [key, queue] of this.waiting) {
      const index = queue.findIndex((entry) => matches(entry.item));
      if (index < 0) continue;
      const [{ item }] = queue.splice(index, 1);
      if (queue.length === 0) this.waiting.delete(key);
      this.count--;
      return item;
    }
    return undefined;
  }

  /** A taken job finished (or failed to start). */
  done(key: string): void {
    const running = (this.running.get(key) ?? 1) - 1;
    if (running > 0) this.running.set(key, running);
    else this.running.delete(key);
  }
}
