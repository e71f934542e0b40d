import { existsSync } from 'node:fs';

import { apiKeysView } from './console/api-keys';
import { eventsView } from './console/events';
import { functionsView } from './console/functions';
import { runsView } from './console/runs';
import { serving } from './console/serving';
import { signIn } from './console/sign-in';
import { statusView } from './console/status';
import { triggersView } from './console/triggers';
import { webhooksView } from './console/webhooks';
import { CHROMIUM, ConsoleContext } from './support/console';

// In CI the browser test always runs (.ci/run installs Chromium); elsewhere it is skipped, saying why.
const runnable = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!runnable) {
  console.warn(`console.e2e-spec: skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium)`);
}
const describeInBrowser = runnable ? describe : describe.skip;

/**
 * The web console in a real browser (Chromium, through playwright-core) against the real platform, one view per
 * file in `console/`. Each view runs axe-core and saves its screenshots for docs/console.md.
 */
describeInBrowser('the web console', () => {
  let ctx: ConsoleContext;

  beforeAll(async () => {
    ctx = await ConsoleContext.start();
  });

  afterAll(async () => {
    await ctx?.stop();
  });

  serving(() => ctx);
  runsView(() => ctx);
  functionsView(() => ctx);
  triggersView(() => ctx);
  eventsView(() => ctx);
  webhooksView(() => ctx);
  apiKeysView(() => ctx);
  statusView(() => ctx);
  signIn(() => ctx);
});
