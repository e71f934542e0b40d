import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { MAX_JSON_DEPTH, SignalboxError } from '@signalbox/contracts';
import { findInputProblem } from '@signalbox/persistence';

/**
 * Refuses a body, query or path parameter holding a character the platform cannot store (U+0000, or half
 * of a surrogate pair), or nested deeper than MAX_JSON_DEPTH levels: 400 VALIDATION_ERROR naming the field,
 * before anything runs (one walk finds either). For the management API, whose callers can fix what they
 * send; values from the outside world (webhooks, results) are stored with U+FFFD instead (`storableJson`).
 */
@Injectable()
export class StorableInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const found = findInputProblem(value, MAX_JSON_DEPTH);
    if (found === null) return value;
    const source = metadata.type === 'body' ? 'body' : metadata.type;
    if (found.problem === 'depth') {
      const message = `${source} is nested deeper than ${MAX_JSON_DEPTH} levels`;
      throw new SignalboxError('VALIDATION_ERROR', message, [{ path: [source], message }]);
    }
    const where = [source, ...(metadata.data ? [metadata.data] : []), ...found.path];
    const field = where.map(String).join('.');
    const message = `${field} contains a character that cannot be stored (U+0000 or an unpaired surrogate)`;
    throw new SignalboxError('VALIDATION_ERROR', message, [{ path: where, message }]);
  }
}
