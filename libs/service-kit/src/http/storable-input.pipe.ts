import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { jsonDepth, MAX_JSON_DEPTH, SignalboxError } from '@signalbox/contracts';
import { findUnstorable } from '@signalbox/persistence';

/**
 * Refuses a body, query or path parameter holding a character the platform cannot store (U+0000, or half
 * of a surrogate pair), or nested deeper than MAX_JSON_DEPTH levels: 400 VALIDATION_ERROR naming the field,
 * before anything runs. For the management API,
 * whose callers can fix what they send; values from the outside world (webhooks, results) are stored with
 * U+FFFD instead (`storableJson`).
 */
@Injectable()
export class StorableInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    if (jsonDepth(value) > MAX_JSON_DEPTH) {
      const where = metadata.type === 'body' ? 'body' : metadata.type;
      const message = `${where} is nested deeper than ${MAX_JSON_DEPTH} levels`;
      throw new SignalboxError('VALIDATION_ERROR', message, [{ path: [where], message }]);
    }
    const path = findUnstorable(value);
    if (path === null) return value;
    const where = [
      metadata.type === 'body' ? 'body' : metadata.type,
      ...(metadata.data ? [metadata.data] : []),
      ...path,
    ];
    const field = where.map(String).join('.');
    const message = `${field} contains a character that cannot be stored (U+0000 or an unpaired surrogate)`;
    throw new SignalboxError('VALIDATION_ERROR', message, [{ path: where, message }]);
  }
}
