/**
 * Web Crypto: the global one (browsers, Node 20+), else Node 18's `node:crypto` webcrypto. The module name is
 * a variable so that bundlers for browsers leave the import alone.
 */
export async function webCrypto(): Promise<Crypto> {
  if (globalThis.crypto?.subtle) return globalThis.crypto;
  const name = 'node:crypto';
  return ((await import(name)) as { webcrypto: Crypto }).webcrypto;
}

export const randomId = async (): Promise<string> => (await webCrypto()).randomUUID();
