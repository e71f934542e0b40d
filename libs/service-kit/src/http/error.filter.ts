import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { throwError } from 'rxjs';

import { mapError } from './error.mapping';

/** The one global filter: every error leaves as the contract's envelope; a 500 shows only an error id. */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('errors');

  catch(exception: unknown, host: ArgumentsHost) {
    const mapped = mapError(exception);
    if (mapped.cause !== undefined) {
      const cause =
        mapped.cause instanceof Error ? (mapped.cause.stack ?? mapped.cause.message) : JSON.stringify(mapped.cause);
      this.logger.error(`unexpected error ${mapped.envelope.error.errorId}: ${cause}`);
    }
    if (host.getType() !== 'http') {
      return throwError(() => mapped.envelope.error);
    }
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    return reply.status(mapped.status).header('content-type', 'application/json; charset=utf-8').send(mapped.envelope);
  }
}
