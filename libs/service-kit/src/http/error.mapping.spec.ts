import { BadRequestException, NotFoundException } from '@nestjs/common';
import { SignalboxError } from '@signalbox/contracts';

import { mapError } from './error.mapping';

describe('mapError', () => {
  it('maps a domain error to its status and keeps details', () => {
    const details = [{ path: ['triggerMetadata', 'interval'], message: 'must be a positive integer' }];
    const sut = mapError(new SignalboxError('VALIDATION_ERROR', 'bad interval', details));
    expect(sut).toEqual({
      status: 400,
      envelope: { success: false, error: { code: 'VALIDATION_ERROR', message: 'bad interval', details } },
    });
  });

  it('maps INVALID_STATUS to 409', () => {
    expect(mapError(new SignalboxError('INVALID_STATUS', 'trigger is disabled')).status).toBe(409);
  });

  it("maps Nest's unknown-route exception to NOT_FOUND", () => {
    const sut = mapError(new NotFoundException('Cannot GET /nope'));
    expect(sut.status).toBe(404);
    expect(sut.envelope.error).toEqual({ code: 'NOT_FOUND', message: 'Cannot GET /nope' });
  });

  it('maps HTTP 400 exceptions to VALIDATION_ERROR', () => {
    expect(mapError(new BadRequestException('nope')).envelope.error.code).toBe('VALIDATION_ERROR');
  });

  it("maps Fastify's body errors", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(mapError(tooLarge).status).toBe(413);
    expect(mapError(tooLarge).envelope.error.code).toBe('PAYLOAD_TOO_LARGE');
    const badJson = Object.assign(new SyntaxError('Unexpected token'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    expect(mapError(badJson).envelope.error).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'request body is not valid JSON',
    });
  });

  it('hides unexpected errors behind an error id', () => {
    const sut = mapError(new Error('password=hunter2 leaked in a driver message'));
    expect(sut.status).toBe(500);
    expect(sut.envelope.error.code).toBe('INTERNAL');
    expect(sut.envelope.error.message).toBe('internal error');
    expect(sut.envelope.error.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(sut.envelope)).not.toContain('hunter2');
    expect(sut.cause).toBeInstanceOf(Error);
  });
});
