import type { ConsoleContext } from '../support/console';

export function serving(context: () => ConsoleContext): void {
  it('serves the app at /console, publicly, with its own routes and a strict CSP; not in the OpenAPI document', async () => {
    const { baseUrl } = context();
    const index = await fetch(`${baseUrl}/console/runs/anything`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await index.text()).toContain('<div id="root">');
    expect((await fetch(`${baseUrl}/console/assets/nope.js`)).status).toBe(404);
    const document = (await (await fetch(`${baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
  });
}
