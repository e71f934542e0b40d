import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SecretSealer } from '@signalbox/crypto';
import { Database } from '@signalbox/persistence';

import { ConfigPublisher } from '../config-sync/config-publisher.service';
import { sealStoredPlaintext } from './seal-stored-plaintext';

/**
 * At every start, seals what was stored in plain text by releases before secrets were sealed at any depth
 * (nested `{value, encrypt: true}`, a draft's or an endpoint trigger's `signingSecret`): in triggers, drafts and
 * version snapshots. Every start rather than once, because replicas of the older release may still write such
 * values while an upgrade rolls out. It needs only the public key, finds nothing after the first time (one
 * filtering query per table), and republishes what it changed to the execution plane.
 */
@Injectable()
export class PlaintextSweep implements OnApplicationBootstrap {
  private readonly logger = new Logger(PlaintextSweep.name);

  constructor(
    private readonly database: Database,
    private readonly sealer: SecretSealer,
    private readonly publisher: ConfigPublisher,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
  }

  private async sweep(): Promise<void> {
    try {
      await this.database.whenReady();
      const changed = await sealStoredPlaintext(this.database.source, this.sealer);
      if (changed === 0) return;
      this.logger.warn(`sealed secrets earlier releases kept in plain text, in ${changed} rows`);
      await this.publisher.reconcile();
    } catch (error) {
      this.logger.error(`sealing secrets kept in plain text failed (the next start tries again): ${String(error)}`);
    }
  }
}
