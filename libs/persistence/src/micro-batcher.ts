/**
 * Groups calls made in the same turn of the event loop into one call of `flush`, for statements that run
 * once per message on a hot path (one round trip and one socket write for many rows instead of one each).
 * Every caller gets its own answer or its own error: when a batch of several fails, each of its items is
 * flushed again alone, so one item the database refuses (a poison value) fails only its own caller, never
 * the other tenants' items that shared its statement. At most `maxBatch` items go into one flush; the rest
 * wait for the next turn.
 */
interface Pending<In, Out> {
  readonly item: In;
  readonly resolve: (value: Out) => void;
  readonly reject: (error: unknown) => void;
}

export class MicroBatcher<In, Out> {
  private pending: Array<Pending<In, Out>> = [];
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
    void this.flushAll(batch);
  }

  private async flushAll(batch: Array<Pending<In, Out>>): Promise<void> {
    try {
      const results = await this.flush(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => entry.resolve(results[index]));
    } catch (error) {
      if (batch.length === 1) batch[0].reject(error);
      else for (const entry of batch) await this.flushAll([entry]);
    }
  }
}
