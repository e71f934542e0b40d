import { SignalboxError } from '@signalbox/contracts';

import { checkFunctionCode } from './code-check';

describe('checkFunctionCode', () => {
  it('accepts the seed shape', () => {
    expect(() =>
      checkFunctionCode('async function run() {\n  api.log("hi");\n  return { success: true };\n}', 1024),
    ).not.toThrow();
  });

  it('reports a syntax error with line and column', () => {
    expect(() => checkFunctionCode('async function run() {\n  return {a: 1\n}', 1024)).toThrow(
      new SignalboxError('VALIDATION_ERROR', 'code has a syntax error: Unexpected token at line 3, column 2'),
    );
  });

  it('requires a run function', () => {
    expect(() => checkFunctionCode('function main() {}', 1024)).toThrow(/must declare a function named run/);
  });

  it('refuses code over the size limit with PAYLOAD_TOO_LARGE', () => {
    try {
      checkFunctionCode(`async function run() { return "${'x'.repeat(2000)}"; }`, 1024);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(SignalboxError);
      expect((error as SignalboxError).code).toBe('PAYLOAD_TOO_LARGE');
    }
  });

  it('compiles but never runs the code', () => {
    const marker = globalThis as { ranUserCode?: boolean };
    checkFunctionCode('globalThis.ranUserCode = true; async function run() {}', 1024);
    expect(marker.ranUserCode).toBeUndefined();
  });
});
