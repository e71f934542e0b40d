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
