import type { ConsoleContext } from '../support/console';

export function serving(context: () => ConsoleContext): void {
  it('serves the app at /console, publicly, with its own routes and a strict CSP; not in the OpenAPI document', async () => {
    const { baseUrl } = context();
    const index = await fetch(`${baseUrl}/console/runs/anything`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    const policy = index.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self';");
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    // The code editor's <style> elements carry the page's nonce, fresh in each page served.
    const nonce = /<meta property="csp-nonce" nonce="([^"]+)"/.exec(html)?.[1];
    expect(policy).toContain(`style-src 'self' 'nonce-${nonce}';`);
    expect(nonce).not.toBe(/nonce="([^"]+)"/.exec(await (await fetch(`${baseUrl}/console/`)).text())?.[1]);
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    expect((await fetch(`${baseUrl}/console/assets/nope.js`)).status).toBe(404);
    // The page's template is served only with its nonce, never as the file it is.
    expect((await fetch(`${baseUrl}/console/index.html`)).status).toBe(404);
    const document = (await (await fetch(`${baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
  });
}
