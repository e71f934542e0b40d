import { freePort, waitFor } from './processes';

describe('test helpers', () => {
  it('finds a free port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });

  it('never hands out a port twice, nor one from the range outbound connections take theirs from', async () => {
    const ports = [];
    for (let i = 0; i < 300; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(Math.max(...ports)).toBeLessThan(32_768);
  });

  it('waits until a probe answers, and times out with the reason otherwise', async () => {
    let calls = 0;
    await expect(waitFor(() => Promise.resolve(++calls >= 3 ? calls : undefined), 2000, 'three calls')).resolves.toBe(
      3,
    );
    await expect(waitFor(() => Promise.resolve(undefined), 250, 'never')).rejects.toThrow(
      'timed out after 250 ms waiting for never',
    );
  });
});
