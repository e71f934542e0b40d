import { FairQueue } from './fair-queue';

describe(FairQueue.name, () => {
  it('takes turns between workspaces, each in its own order', () => {
    const sut = new FairQueue<string>();
    for (let i = 1; i <= 4; i++) sut.push('a', `a${i}`);
    sut.push('b', 'b1');
    sut.push('b', 'b2');
    const taken = [sut.take(), sut.take(), sut.take(), sut.take()];
    expect(taken).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(sut.size).toBe(2);
  });

  it("gives a newcomer the next slot while another workspace's jobs run", () => {
    const sut = new FairQueue<string>();
    for (let i = 1; i <= 100; i++) sut.push('a', `a${i}`);
    expect([sut.take(), sut.take()]).toEqual(['a1', 'a2']); // two workers busy with a
    sut.push('b', 'b1');
    sut.done('a'); // a worker frees up
    expect(sut.take()).toBe('b1');
    sut.done('a');
    expect(sut.take()).toBe('a3');
  });

  it('lets a job of higher priority pass those that came less than its head start before it, and no further', () => {
    const sut = new FairQueue<string>();
    sut.push('a', 'old-low', -60_000, 0); // rank 60 s
    sut.push('a', 'normal', 0, 1_000); // rank 1 s
    sut.push('a', 'high', 60_000, 30_000); // rank -30 s
    sut.push('a', 'late-high', 60_000, 200_000); // rank 140 s: the low one has waited longer than the difference
    sut.push('a', 'normal-2', 0, 1_000); // the same rank as `normal`: after it
    expect([sut.take(), sut.take(), sut.take(), sut.take(), sut.take()]).toEqual([
      'high',
      'normal',
      'normal-2',
      'old-low',
      'late-high',
    ]);
  });

  it('puts a job that could not start back at the front of its workspace', () => {
    const sut = new FairQueue<string>();
    sut.push('a', 'a1');
    sut.push('a', 'a2');
    const first = sut.take()!;
    sut.putBack('a', first);
    expect(sut.take()).toBe('a1');
    expect(sut.size).toBe(1);
  });

  it('takes out a waiting job that is cancelled, and nothing else', () => {
    const sut = new FairQueue<string>();
    sut.push('a', 'a1');
    sut.push('b', 'b1');
    sut.push('a', 'a2');
    expect(sut.remove((job) => job === 'a1')).toBe('a1');
    expect(sut.remove((job) => job === 'zz')).toBeUndefined();
    expect(sut.size).toBe(2);
    expect([sut.take(), sut.take(), sut.take()]).toEqual(['b1', 'a2', undefined]);
  });
});
