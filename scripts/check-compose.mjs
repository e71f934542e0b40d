// Checks docker-compose.yml without a Docker engine: it parses, every service is built from the one
// Dockerfile with its own APP, has a health check, and waits for healthy Postgres and NATS.
import { readFileSync } from 'node:fs';

import yaml from 'js-yaml';

const SERVICES = ['data-service', 'webhook-gateway', 'scheduler-service', 'event-router', 'compute-runtime'];
const compose = yaml.load(readFileSync('docker-compose.yml', 'utf8'));
const problems = [];
const expect = (condition, message) => condition || problems.push(message);

for (const infra of ['postgres', 'nats']) {
  const service = compose.services?.[infra];
  expect(service, `${infra} is missing`);
  expect(service?.healthcheck?.test, `${infra} has no healthcheck`);
  expect(service?.volumes?.length, `${infra} keeps no data on a volume`);
}
for (const name of SERVICES) {
  const service = compose.services?.[name];
  expect(service, `${name} is missing`);
  if (!service) continue;
  expect(service.build?.dockerfile === 'Dockerfile', `${name} is not built from ./Dockerfile`);
  expect(service.build?.args?.APP === name, `${name} must be built with APP=${name}`);
  for (const dependency of ['postgres', 'nats']) {
    expect(
      service.depends_on?.[dependency]?.condition === 'service_healthy',
      `${name} must wait for a healthy ${dependency}`,
    );
  }
  expect(service.environment?.NATS_URL === 'nats://nats:4222', `${name} must use the nats service`);
  expect(
    String(service.environment?.DATABASE_URL ?? '').includes('@postgres:5432/'),
    `${name} must use the postgres service`,
  );
  expect(service.stop_grace_period, `${name} has no stop_grace_period`);
}
const dockerfile = readFileSync('Dockerfile', 'utf8');
expect(/^ARG APP$/m.test(dockerfile), 'Dockerfile must take ARG APP');
expect(/^HEALTHCHECK /m.test(dockerfile), 'Dockerfile has no HEALTHCHECK');
expect(/^USER node$/m.test(dockerfile), 'Dockerfile must not run as root');

if (problems.length) {
  console.error(problems.map((p) => `docker-compose: ${p}`).join('\n'));
  process.exit(1);
}
console.log(`docker-compose.yml and Dockerfile look right (${SERVICES.length} services, postgres, nats)`);
