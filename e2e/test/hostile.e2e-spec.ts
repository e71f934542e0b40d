import { Platform, testToken } from '@signalbox/testing';

import { fairShare } from './hostile/fair-share';
import { largeAnswers } from './hostile/large-answers';
import { malformedInput } from './hostile/malformed-input';
import { poisonCharacters } from './hostile/poison-characters';
import { smallItems } from './hostile/small-items';
import { storedConfig } from './hostile/stored-config';
import { userPatterns } from './hostile/user-patterns';
import { HostileContext } from './support/hostile';
import { ApiClient } from './support/http';

/**
 * The hostile path (docs/security.md): what a hostile tenant or an anonymous internet caller can send, one
 * class of attack per file in `hostile/`, against one shared platform. After all of them, the platform
 * must be whole: every service the same process it was, every accepted run there exactly once and
 * finished, and no message stuck redelivering.
 */
describe('the hostile path: nobody can crash, poison, stall or starve the shared services', () => {
  let ctx: HostileContext;

  beforeAll(async () => {
    const platform = await Platform.start({
      only: ['data-service', 'compute-runtime', 'webhook-gateway', 'event-router'],
      env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000', FETCH_ALLOWED_HOSTS: '127.0.0.1' },
    });
    const tenant = (workspace: string, subject: string) =>
      new ApiClient(
        `${platform.service('data-service').url}/workspace/${workspace}/api/v1`,
        testToken({ workspaces: [workspace], permissions: ['*'], subject }),
      );
    ctx = new HostileContext(
      platform,
      tenant('acme', 'mallory'),
      platform.service('webhook-gateway').url,
      tenant('beta', 'bob'),
    );
  });

  afterAll(async () => {
    await ctx?.platform.stop();
  });

  largeAnswers(() => ctx);
  poisonCharacters(() => ctx);
  userPatterns(() => ctx);
  storedConfig(() => ctx);
  smallItems(() => ctx);
  malformedInput(() => ctx);
  fairShare(() => ctx);

  describe('after all of it', () => {
    it('every service is still the process it was', () => {
      expect(ctx.servicesAlive()).toEqual([]);
    });

    it('every accepted run exists exactly once and finished', async () => {
      expect(await ctx.runsOnce()).toEqual([]);
    });

    it('no message is stuck redelivering', async () => {
      let stuck: string[] = [];
      for (let i = 0; i < 20; i++) {
        stuck = await ctx.stuckMessages();
        if (stuck.length === 0) break;
        await new Promise((done) => setTimeout(done, 500));
      }
      expect(stuck).toEqual([]);
    });
  });
});
