// `node bench/profile-top.mjs <file.cpuprofile> [N]`: where a service's CPU went, from a `--cpu-prof` profile
// (`BENCH_PROFILE=<app>` in bench:events and bench:runtime). Prints the N (default 25) functions with the most
// self time, and the self time summed by where the code lives: a package under node_modules, one of our
// libraries or apps, Node's own code, or the engine (garbage collection, idle, compiled code).
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-top.mjs <file.cpuprofile> [N]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

// Self time per node: each sample names the node that was on top of the stack, for the next time delta.
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function placeOf(url) {
  if (!url) return '(engine)';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1];
  const ours = /\/(apps|libs)\/([^/]+)\//.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  if (url.startsWith('node:')) return 'node';
  return url;
}

const byFunction = new Map();
const byPlace = new Map();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|apps|libs)\//, '$1/')}:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const place = placeOf(url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + us);
}

const rows = (map) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([what, us]) => ({ what, 'self ms': Math.round(us / 1000), '%': +((100 * us) / total).toFixed(1) }));

console.log(`${file}: ${Math.round(total / 1000)} ms sampled`);
console.table(rows(byPlace));
console.table(rows(byFunction));
