/**
 * Groups calls made in the same turn of the event loop into one call of `flush`, for statements that run
 * once per message on a hot path (one round trip and one socket write for many rows instead of one each).
 * Every caller gets its own answer or the batch's error. At most `maxBatch` items go into one flush;
 * the rest wait for the next turn.
 */
export class MicroBatcher<In, Out> {
  private pending: Array<{ item: In; resolve: (value: Out) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: In[]) => Promise<Out[]>,
    private readonly maxBatch = 100,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    const batch = this.pending.splice(0, this.maxBatch);
    this.scheduled = this.pending.length > 0;
    if (this.scheduled) setImmediate(() => this.run());
    Promise.resolve()
      .then(() => this.flush(batch.map((entry) => entry.item)))
      .then(
        (results) => batch.forEach((entry, index) => entry.resolve(results[index])),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      );
  }
}
