// `node scripts/check-compose.mjs`: checks docker-compose.yml (and the Dockerfile it builds) without a Docker
// engine. The file parses; each of the five services is built from ./Dockerfile with its own APP, has a health
// check, waits for a healthy Postgres and NATS, and reaches them by their service names; Postgres and NATS have
// health checks and keep their data on declared volumes. Exits 1 with one line per problem.
import { readFileSync } from 'node:fs';

import yaml from 'js-yaml';
import { SERVICES, WITHOUT_DATABASE } from './lib/services.mjs';

const ROOT = new URL('../', import.meta.url);
const INFRASTRUCTURE = ['postgres', 'nats'];
// The oldest image versions users may be given: supported releases (PostgreSQL 17, NATS 2.11 and later)
const MINIMUM_IMAGE = { postgres: [17], nats: [2, 11] };

const problems = [];
const expect = (condition, message) => {
  if (!condition) problems.push(message);
};
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `environment` as a mapping, whether the file writes it as a mapping or as a list of KEY=value. */
function environmentOf(service) {
  const environment = service.environment ?? {};
  if (!Array.isArray(environment)) return environment;
  return Object.fromEntries(
    environment.map((entry) => {
      const [key, ...value] = String(entry).split('=');
      return [key, value.length ? value.join('=') : undefined];
    }),
  );
}

/** The published host:container port pairs, from the short ("127.0.0.1:80:8080") or long syntax. */
function portsOf(service) {
  return (service.ports ?? []).map((port) => {
    if (isObject(port)) return `${port.published}:${port.target}`;
    const parts = String(port).split('/')[0].split(':');
    return parts.slice(-2).join(':');
  });
}

function checkHealthcheck(name, service) {
  const check = service.healthcheck;
  const test = check?.test;
  expect(
    isObject(check) && check.disable !== true && test?.length > 0 && !(Array.isArray(test) && test[0] === 'NONE'),
    `${name} has no healthcheck`,
  );
}

/** Versions compared part by part: [2, 12] is at least [2, 11]; a missing part is older than any. */
function atLeast(version, minimum) {
  for (let i = 0; i < minimum.length; i++) {
    const part = version[i] ?? -1;
    if (part !== minimum[i]) return part > minimum[i];
  }
  return true;
}

function checkInfrastructure(compose, name) {
  const service = compose.services[name];
  if (!isObject(service)) return problems.push(`the ${name} service is missing`);
  checkHealthcheck(name, service);
  const version =
    /:(\d+(?:\.\d+)*)/
      .exec(String(service.image ?? ''))?.[1]
      ?.split('.')
      .map(Number) ?? [];
  expect(
    atLeast(version, MINIMUM_IMAGE[name]),
    `${name} must use image version ${MINIMUM_IMAGE[name].join('.')} or later by its tag (got ${service.image})`,
  );
  const volumes = service.volumes ?? [];
  expect(volumes.length > 0, `${name} keeps no data on a volume`);
  for (const volume of volumes) {
    const source = isObject(volume) ? volume.source : String(volume).split(':')[0];
    const named = source && !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('~');
    if (named) expect(compose.volumes && source in compose.volumes, `${name} uses volume ${source}, not declared`);
  }
}

function checkService(compose, name, port) {
  const service = compose.services[name];
  if (!isObject(service)) return problems.push(`the ${name} service is missing`);
  const build = service.build;
  expect(isObject(build), `${name} has no build section (it must be built from ./Dockerfile)`);
  expect((build?.context ?? '.') === '.', `${name} must be built with the repository root as its context`);
  expect((build?.dockerfile ?? 'Dockerfile') === 'Dockerfile', `${name} is not built from ./Dockerfile`);
  expect(build?.args?.APP === name, `${name} must be built with build.args.APP: ${name} (got ${build?.args?.APP})`);
  expect(!service.image || service.build, `${name} must be built, not pulled`);
  checkHealthcheck(name, service);

  const dependsOn = service.depends_on;
  for (const dependency of INFRASTRUCTURE) {
    expect(
      isObject(dependsOn) && dependsOn[dependency]?.condition === 'service_healthy',
      `${name} must depend on ${dependency} with condition: service_healthy`,
    );
  }

  const environment = environmentOf(service);
  expect(environment.NATS_URL === 'nats://nats:4222', `${name} must use NATS_URL=nats://nats:4222`);
  if (!WITHOUT_DATABASE.has(name)) {
    expect(
      String(environment.DATABASE_URL ?? '').includes('@postgres:5432/'),
      `${name} must reach the postgres service in DATABASE_URL`,
    );
  }
  expect(environment.NODE_ENV === 'production', `${name} must run with NODE_ENV=production`);
  expect(String(environment.PORT) === String(port), `${name} must listen on PORT=${port}`);
  expect(portsOf(service).includes(`${port}:${port}`), `${name} must publish port ${port}`);
  expect(service.stop_grace_period, `${name} has no stop_grace_period`);
  expect(service.restart === 'unless-stopped', `${name} must have restart: unless-stopped`);
}

function checkDockerfile(text) {
  expect(/^ARG APP$/m.test(text), 'Dockerfile must take ARG APP');
  expect(
    /^ARG NODE_IMAGE=node:24-/m.test(text),
    'Dockerfile must build on a Node.js 24 image (ARG NODE_IMAGE=node:24-...)',
  );
  expect(/^HEALTHCHECK /m.test(text), 'Dockerfile has no HEALTHCHECK');
  expect(/^USER node$/m.test(text), 'Dockerfile must run the service as the non-root user node');
  expect(/^ENV NODE_ENV=production$/m.test(text), 'Dockerfile must set NODE_ENV=production');
  expect(/^CMD .*--no-node-snapshot/m.test(text), 'Dockerfile CMD must run node with --no-node-snapshot');
  for (const [name, port] of Object.entries(SERVICES)) {
    expect(
      new RegExp(`^FROM \\S+ AS port-${name}\\nENV PORT=${port}\\nEXPOSE ${port}$`, 'm').test(text),
      `Dockerfile must have a port-${name} stage with ENV PORT=${port} and EXPOSE ${port}`,
    );
  }
}

let compose;
try {
  compose = yaml.load(readFileSync(new URL('docker-compose.yml', ROOT), 'utf8'));
} catch (error) {
  console.error(`docker-compose.yml: cannot be read or parsed: ${error.message}`);
  process.exit(1);
}
if (!isObject(compose?.services)) {
  console.error('docker-compose.yml: has no services');
  process.exit(1);
}
for (const name of INFRASTRUCTURE) checkInfrastructure(compose, name);
for (const [name, port] of Object.entries(SERVICES)) checkService(compose, name, port);
expect(
  environmentOf(compose.services['data-service'] ?? {}).JWT_SECRET,
  'data-service must be given JWT_SECRET (production refuses to start without it)',
);
checkDockerfile(readFileSync(new URL('Dockerfile', ROOT), 'utf8'));

if (problems.length) {
  console.error(problems.map((problem) => `docker-compose: ${problem}`).join('\n'));
  process.exit(1);
}
console.log(
  `docker-compose.yml and Dockerfile look right (${Object.keys(SERVICES).length} services, ${INFRASTRUCTURE.join(', ')})`,
);
