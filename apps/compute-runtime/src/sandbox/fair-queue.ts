/**
 * Jobs waiting for a sandbox worker, taken fairly between workspaces instead of first in, first out: the next
 * job is the oldest of the workspace that has the fewest jobs running, so one workspace's burst (or its
 * 1-second schedules) takes turns with everyone else's instead of standing in front of them. Within a
 * workspace the order stays first in, first out.
 */
export class FairQueue<T> {
  private readonly waiting = new Map<string, Array<{ item: T; order: number }>>();
  private readonly running = new Map<string, number>();
  private order = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(key: string, item: T): void {
    const queue = this.waiting.get(key) ?? [];
    queue.push({ item, order: this.order++ });
    this.waiting.set(key, queue);
    this.count++;
  }

  /** The next job, counted as running for its workspace until `done(key)` (or `putBack`). */
  take(): T | undefined {
    let best: string | undefined;
    let bestRunning = Infinity;
    let bestOrder = Infinity;
    for (const [key, queue] of this.waiting) {
      const running = this.running.get(key) ?? 0;
      const order = queue[0].order;
      if (running < bestRunning || (running === bestRunning && order < bestOrder)) {
        [best, bestRunning, bestOrder] = [key, running, order];
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
    queue.unshift({ item, order: -1 - this.order++ });
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
