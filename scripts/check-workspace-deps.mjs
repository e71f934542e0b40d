// Every @signalbox/* package a project imports must be declared in its package.json: Nx orders builds
// by those declarations, so a missing one builds on a warm machine and fails on a fresh clone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const projects = ['libs', 'apps'].flatMap((group) => readdirSync(group).map((name) => join(group, name))).concat('e2e');
const IMPORT = /from '@signalbox\/([a-z-]+)'/g;
let problems = 0;

function files(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'dist') return [];
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(path) ? [path] : [];
  });
}

for (const project of projects) {
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }));
  const used = new Set();
  for (const file of files(project)) {
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) used.add(`@signalbox/${match[1]}`);
  }
  used.delete(manifest.name);
  for (const name of used) {
    if (!declared.has(name)) {
      console.error(`${project}/package.json: imports ${name} but does not declare it`);
      problems++;
    }
  }
}
if (problems) process.exit(1);
console.log(`workspace dependencies declared (${projects.length} projects)`);
