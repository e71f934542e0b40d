import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('flushes the calls of one turn together and answers each caller its own result', async () => {
    const batches: number[][] = [];
    const sut = new MicroBatcher<number, number>((items) => {
      batches.push(items);
      return Promise.resolve(items.map((item) => item * 10));
    });
    const results = await Promise.all([1, 2, 3].map((n) => sut.submit(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await sut.submit(4)).toBe(40);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('splits at the batch limit', async () => {
    const sizes: number[] = [];
    const sut = new MicroBatcher<number, number>((items) => {
      sizes.push(items.length);
      return Promise.resolve(items);
    }, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => sut.submit(n)))).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('with maxInFlight, gathers the calls made during a flush into the next one (group commit)', async () => {
    const batches: number[][] = [];
    const releases: Array<() => void> = [];
    const sut = new MicroBatcher<number, number>(
      (items) => {
        batches.push(items);
        return new Promise((resolve) => releases.push(() => resolve(items)));
      },
      100,
      1,
    );
    const first = sut.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]); // an idle batcher flushes at once
    const later = [2, 3, 4].map((n) => sut.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]); // one flush in flight: the others wait for it
    releases.shift()?.();
    expect(await first).toBe(1);
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    releases.shift()?.();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
  });

  it('rejects every caller when each item fails alone too, and the next batch still runs', async () => {
    let fail = true;
    const sut = new MicroBatcher<number, number>((items) => {
      if (fail) throw new Error('database down');
      return Promise.resolve(items);
    });
    const failed = await Promise.allSettled([sut.submit(1), sut.submit(2)]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await sut.submit(3)).toBe(3);
  });

  it('retries a failed batch item by item, so one poison item fails only its own caller', async () => {
    const batches: number[][] = [];
    const sut = new MicroBatcher<number, number>((items) => {
      batches.push(items);
      if (items.includes(13)) return Promise.reject(new Error('invalid byte sequence'));
      return Promise.resolve(items.map((item) => item * 10));
    });
    const settled = await Promise.allSettled([1, 13, 3].map((n) => sut.submit(n)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: new Error('invalid byte sequence') },
      { status: 'fulfilled', value: 30 },
    ]);
    expect(batches).toEqual([[1, 13, 3], [1], [13], [3]]);
  });
  it('with fail-all, fails every caller of a failed batch at once, without a flush per item', async () => {
    let flushes = 0;
    const sut = new MicroBatcher<number, number>(
      () => {
        flushes += 1;
        return Promise.reject(new Error('database down'));
      },
      100,
      1,
      'fail-all',
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => sut.submit(n)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(flushes).toBe(1);
  });
});
