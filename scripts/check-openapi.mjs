// Validates an OpenAPI document (a URL or a file) as REST users' tools will: @apidevtools/swagger-parser
// and Redocly's recommended rules. Prints every error; exits 1 when there is one. The e2e suite runs it on
// what data-service and webhook-gateway serve at /docs-json (e2e/test/openapi.e2e-spec.ts).
import { readFileSync } from 'node:fs';

import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';

const source = process.argv[2];
if (!source) {
  console.error('usage: node scripts/check-openapi.mjs <url or file>');
  process.exit(2);
}
const text = /^https?:/.test(source) ? await (await fetch(source)).text() : readFileSync(source, 'utf8');
const document = JSON.parse(text);
let errors = 0;
try {
  await SwaggerParser.validate(structuredClone(document));
  console.log(`swagger-parser: valid OpenAPI ${document.openapi}`);
} catch (error) {
  errors++;
  console.error(`swagger-parser: ${error.message}`);
}
const problems = await lintFromString({
  source: text,
  absoluteRef: 'openapi.json',
  config: await createConfig({ extends: ['recommended'] }),
});
for (const problem of problems.filter((p) => p.severity === 'error')) {
  errors++;
  console.error(`redocly ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? '?'}`);
}
console.log(
  `redocly: ${problems.filter((p) => p.severity === 'error').length} errors, ${problems.filter((p) => p.severity !== 'error').length} warnings`,
);
process.exit(errors > 0 ? 1 : 0);
