import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Signalbox } from '@signalbox/sdk';
import { Platform, testToken } from '@signalbox/testing';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The console links a run's trace here (data-service's CONSOLE_TRACE_URL). */
export const TRACE_VIEWER = 'https://traces.example/trace/{traceId}?from=console';

const SCREENSHOTS = join(__dirname, '..', '..', '..', 'docs', 'console');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Replaces the text of the code editor named `label` (within `scope`) with `text`, as a paste does: CodeMirror
 * inserts it itself, with no brackets closed for it. (Typing several lines through the browser's own editing
 * commands makes elements with style attributes, which the console's CSP refuses.)
 */
export async function fillEditor(scope: Page | Locator, label: string, text: string): Promise<void> {
  const editor = scope.locator(`.cm-content[aria-label="${label}"]`);
  await editor.click();
  const page = 'page' in scope ? scope.page() : scope;
  await page.keyboard.press('ControlOrMeta+a');
  // Runs in the page (this project's types have no DOM: the two constructors are declared here).
  await editor.evaluate((element, value) => {
    const dom = globalThis as unknown as {
      DataTransfer: new () => { setData(type: string, value: string): void };
      ClipboardEvent: new (type: string, init: object) => Event;
    };
    const data = new dom.DataTransfer();
    data.setData('text/plain', value);
    const target = element as unknown as { dispatchEvent(event: Event): boolean };
    target.dispatchEvent(new dom.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * One platform and one Chromium shared by the console's browser tests (`console/*.ts`, one view per file). Each
 * view opens its own page, signed in through the one-click link, and checks its own page errors.
 */
export class ConsoleContext {
  readonly token = testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'console-e2e' });
  readonly acme: Signalbox;
  readonly baseUrl: string;
  private readonly errors = new Map<Page, string[]>();

  private constructor(
    readonly platform: Platform,
    readonly browser: Browser,
  ) {
    this.baseUrl = platform.service('data-service').url;
    this.acme = new Signalbox({ baseUrl: this.baseUrl, workspace: 'acme', token: this.token });
  }

  static async start(): Promise<ConsoleContext> {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get)`);
    const platform = await Platform.start({
      env: { FETCH_ALLOWED_HOSTS: '127.0.0.1', CONSOLE_TRACE_URL: TRACE_VIEWER },
    });
    try {
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      mkdirSync(SCREENSHOTS, { recursive: true });
      return new ConsoleContext(platform, browser);
    } catch (error) {
      await platform.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.browser.close();
    await this.platform.stop();
  }

  /** A new page that collects its errors (`pageErrors`); signed in through the link unless told otherwise. */
  async openPage(options: { signedIn?: boolean; path?: string } = {}): Promise<Page> {
    const page = await this.browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    this.errors.set(page, errors);
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // A refusal (4xx) is an answer the page shows; Chromium logs it as a failed resource all the same.
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) {
        errors.push(`${message.text()} ${message.location().url}`);
      }
    });
    // A CSP refusal said with where it came from and what it refused (Chromium's own message says neither).
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) =>
      console.error('CSP refused (' + event.violatedDirective + ') ' + event.sourceFile + ':' + event.lineNumber))`);
    if (options.signedIn !== false) {
      await page.goto(`${this.baseUrl}/console/#token=${this.token}`);
      await page.waitForURL(/\/console\/runs$/);
    }
    if (options.path) await page.goto(`${this.baseUrl}/console${options.path}`);
    return page;
  }

  /** What went wrong in the page (uncaught errors, console errors, 5xx answers), in order. */
  pageErrors(page: Page): string[] {
    return this.errors.get(page) ?? [];
  }

  /**
   * axe-core's serious and critical violations on the page as it is. axe is evaluated through the DevTools
   * protocol, not as a <script>: the console's Content-Security-Policy allows only its own scripts.
   */
  async seriousViolations(page: Page): Promise<string[]> {
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate<AxeViolation[]>(
      "axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations)",
    );
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
  }

  /** docs/console/<name>.png, the whole page. */
  async screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }
}
