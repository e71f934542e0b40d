import { type ErrorDetail, SignalboxError } from '@signalbox/contracts';
import { parse } from 'acorn';

/**
 * Compiles (never runs) function code: a syntax error answers 400 with line and column, and the code
 * must declare `run` (seed 000: `async function run() { ... }`).
 */
export function checkFunctionCode(code: string, maxBytes: number): void {
  const size = Buffer.byteLength(code, 'utf8');
  if (size > maxBytes) {
    throw new SignalboxError('PAYLOAD_TOO_LARGE', `code is ${size} bytes; the limit is ${maxBytes} bytes`, [
      { path: ['code'], message: `must be at most ${maxBytes} bytes` },
    ]);
  }
  let program: ReturnType<typeof parse>;
  try {
    program = parse(code, { ecmaVersion: 'latest', sourceType: 'script', locations: true });
  } catch (error) {
    const { message, loc } = error as SyntaxError & { loc?: { line: number; column: number } };
    const where = loc ? { line: loc.line, column: loc.column + 1 } : undefined;
    const text = message.replace(/\s*\(\d+:\d+\)$/, '');
    const detail: ErrorDetail = {
      path: ['code'],
      message: where ? `${text} at line ${where.line}, column ${where.column}` : text,
    };
    throw new SignalboxError('VALIDATION_ERROR', `code has a syntax error: ${detail.message}`, [detail]);
  }
  const declaresRun = program.body.some(
    (node) =>
      (node.type === 'FunctionDeclaration' && node.id?.name === 'run') ||
      (node.type === 'VariableDeclaration' &&
        node.declarations.some((d) => d.id.type === 'Identifier' && d.id.name === 'run')),
  );
  if (!declaresRun) {
    throw new SignalboxError(
      'VALIDATION_ERROR',
      'code must declare a function named run: async function run() { ... }',
      [{ path: ['code'], message: 'no top-level function named run' }],
    );
  }
}
