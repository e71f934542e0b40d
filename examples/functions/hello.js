/// <reference types="@signalbox/sdk/function" />
// A first function: `npx signalbox functions deploy examples/functions/hello.js`, then
// `npx signalbox functions run hello --data '{"name":"Ada"}' --wait`.
async function run() {
  const name = typeof executionParams.name === 'string' ? executionParams.name : 'world';
  api.log('greeting', name);
  return { greeting: `Hello, ${name}!` };
}
