import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Platform, testToken, WORKSPACE_ROOT } from '@signalbox/testing';
import { build } from 'esbuild';

const exec = promisify(execFile);
const SDK = join(WORKSPACE_ROOT, 'libs', 'sdk');
const TSC = join(WORKSPACE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** What a user's program does with the SDK, compiled with `strict` against the packed package. */
const PROGRAM = `
import { Signalbox, SignalboxError, type TriggerMetadata } from '@signalbox/sdk';

const client = new Signalbox({
  baseUrl: process.env['SIGNALBOX_URL'] ?? '',
  workspace: 'acme',
  token: process.env['SIGNALBOX_TOKEN'] ?? '',
});
const suffix = process.env['SUFFIX'] ?? '';
const fn = await client.functions.create({ name: 'add-one-' + suffix, code: 'async function run() { return executionParams.x + 1; }' });
const weekly: TriggerMetadata<'scheduled'> = { cron: '0 9 * * 1', timezone: 'Europe/Berlin', overlap: 'skip' };
const scheduled = await client.triggers.create({ name: 'weekly-' + suffix, functionId: fn.id, executionType: 'scheduled', triggerMetadata: weekly });
const updated = await client.triggers.update(scheduled.id, { triggerMetadata: { cron: '0 10 * * 1' } });
const cron: string | undefined = updated.executionType === 'scheduled' ? updated.triggerMetadata.cron : undefined;
const onDemand = await client.triggers.create({ name: 'now-' + suffix, functionId: fn.id, executionType: 'on-demand' });
const { jobId } = await client.triggers.execute(onDemand.id, { x: 41 });
const run = await client.runs.waitFor(jobId, { timeoutMs: 30_000 });
let refused = '';
try {
  await client.triggers.create({ name: 'bad-' + suffix, functionId: fn.id, executionType: 'polling', triggerMetadata: { url: 'ftp://nope', interval: 60 } });
} catch (error) {
  if (error instanceof SignalboxError) refused = error.code + ' ' + error.details.map((d) => d.path.join('.')).join(',');
}
console.log(JSON.stringify({ cron, status: run.status, result: run.result, refused }));
`;

/** A function file, checked by the editor with the SDK's types for function authors. */
const FUNCTION = `/// <reference types="@signalbox/sdk/function" />
async function run(): Promise<number> {
  api.log('fetching', executionParams['id']);
  const answer = await api.step('price', () => api.fetch('https://api.example.com/price').then((r) => r.json<{ eur: number }>()));
  return answer.eur;
}
void run;
`;

/** The SDK as users get it: `npm pack`ed, installed into a scratch project, compiled there, run. */
describe('the packed @signalbox/sdk', () => {
  let platform: Platform;
  let tarball: string;
  let scratch: string;

  beforeAll(async () => {
    platform = await Platform.start({ only: ['data-service', 'compute-runtime'] });
    scratch = await mkdtemp(join(tmpdir(), 'signalbox-sdk-scratch-'));
    const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: SDK });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; size: number; unpackedSize: number }>;
    tarball = join(scratch, packed.filename);
    console.log(`@signalbox/sdk packed: ${packed.size} bytes (${packed.unpackedSize} unpacked)`);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('installs, compiles under strict against its declarations, and runs against the platform', async () => {
    await writeFile(
      join(scratch, 'package.json'),
      JSON.stringify({
        name: 'scratch',
        private: true,
        type: 'module',
        dependencies: { '@signalbox/sdk': `file:${tarball}` },
      }),
    );
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: scratch });
    const help = await exec(join(scratch, 'node_modules', '.bin', 'signalbox'), ['--help']);
    expect(help.stdout).toContain('signalbox functions deploy');
    await writeFile(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          typeRoots: [join(WORKSPACE_ROOT, 'node_modules', '@types')],
          skipLibCheck: false,
          noEmitOnError: true,
        },
        files: ['main.ts', 'function.ts'],
      }),
    );
    await writeFile(join(scratch, 'main.ts'), PROGRAM);
    await writeFile(join(scratch, 'function.ts'), FUNCTION);
    await exec(process.execPath, [TSC, '-p', scratch]).catch((error: { stdout: string }) => {
      throw new Error(`the scratch project does not compile:\n${error.stdout}`);
    });

    const { stdout } = await exec(process.execPath, [join(scratch, 'main.js')], {
      cwd: scratch,
      env: {
        ...process.env,
        SIGNALBOX_URL: platform.service('data-service').url,
        SIGNALBOX_TOKEN: testToken({ workspaces: ['acme'] }),
        SUFFIX: randomUUID().slice(0, 8),
      },
    });
    expect(JSON.parse(stdout)).toEqual({
      cron: '0 10 * * 1',
      status: 'completed',
      result: 42,
      refused: 'VALIDATION_ERROR triggerMetadata.url',
    });
  });

  it('refuses, at compile time, a field that does not belong to the trigger type', async () => {
    await writeFile(
      join(scratch, 'main.ts'),
      `import { Signalbox } from '@signalbox/sdk';
const client = new Signalbox({ baseUrl: '', workspace: 'acme', token: 't' });
await client.triggers.create({ name: 'x', functionId: 'f', executionType: 'on-demand', triggerMetadata: { cron: '* * * * *' } });
`,
    );
    const compiled = await exec(process.execPath, [TSC, '-p', scratch]).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(compiled).toMatch(
      /main\.ts\(3,\d+\): error TS\d+: Argument of type '\{[^']*triggerMetadata: \{ cron: string; \}/,
    );
  });

  it('bundles for browsers without Node built-ins', async () => {
    const bundle = await build({
      stdin: { contents: "export { Signalbox, verifyWebhook } from '@signalbox/sdk';", resolveDir: scratch },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
    });
    const code = bundle.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/from ?"node:|require\(/);
    expect(code).toContain('SignalboxError');
    console.log(`@signalbox/sdk for browsers: ${code.length} bytes minified`);
  });
});
