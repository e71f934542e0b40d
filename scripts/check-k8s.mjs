// `node scripts/check-k8s.mjs`: checks deploy/k8s without a cluster or kubectl (CI runs it).
// 1. Resolves the kustomization: every listed resource file exists and parses, every YAML file of deploy/k8s is
//    listed (nats/values.yaml is Helm's), no object is defined twice, the namespace and common labels are set.
// 2. Validates every built-in object against the Kubernetes schema (kubernetes-models: types, required fields,
//    enums; it does not reject unknown fields), and the CloudNativePG Cluster's required fields by hand.
// 3. Cross-checks: each service's Deployment (probes on its declared port, requests and limits, non-root and
//    read-only, rolling update without loss of capacity, a grace period above its drain time, scrape
//    annotations, the production settings and keys it needs and none it must not hold) and the Service, PDB and
//    HPA that select or target it; every ConfigMap/Secret reference resolves (or names the CNPG `<cluster>-app`
//    Secret); the committed Secrets hold placeholders the services refuse; Postgres max_connections covers the
//    pools at the HPAs' maxima; NATS_URL lists the servers of the NATS values, which run clustered with
//    JetStream on files, an explicit sync_interval, one server per node and a PDB.
// Exits 1 with one line per problem.
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

import yaml from 'js-yaml';
import { SERVICES, WITHOUT_DATABASE } from './lib/services.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const K8S = join(ROOT, 'deploy', 'k8s');
const KUSTOMIZATION = 'kustomization.yaml';
const NATS_VALUES = 'nats/values.yaml';
const NAMESPACE = 'signalbox';
const PART_OF = ['app.kubernetes.io/part-of', 'signalbox'];

// docs/secrets.md: the private keys exist only in the execution plane; data-service holds the public key only
const PRIVATE_KEY_HOLDERS = new Set(['webhook-gateway', 'scheduler-service', 'compute-runtime']);
// the keys CloudNativePG writes to the `<cluster>-app` Secret
const CNPG_APP_SECRET_KEYS = new Set([
  'username',
  'user',
  'password',
  'dbname',
  'host',
  'port',
  'pgpass',
  'uri',
  'jdbc-uri',
  'fqdn-uri',
  'fqdn-jdbc-uri',
]);
const POSTGRES_MIN_MAJOR = 15;
const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100;
const POSTGRES_CONNECTION_HEADROOM = 20; // operator, metrics exporter, a re-seal job, a psql session
// the pattern of NATS_URL in libs/service-kit/src/config/env.ts
const NATS_URL_PATTERN = /^(nats|tls):\/\/[^,\s]+(,(nats|tls):\/\/[^,\s]+)*$/;
const KEY_PATTERN = /^\d{1,6}:[A-Za-z0-9+/]{43}=$/;
const PLACEHOLDER = 'CHANGE-ME';
// the fields this script knows how to resolve; anything else would make its view differ from kustomize's
const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'images']);

const problems = [];
const expect = (condition, message) => {
  if (!condition) problems.push(message);
  return Boolean(condition);
};
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The `default:` of one setting in libs/service-kit/src/config/env.ts, so the checks follow the code. */
function envDefault(name) {
  const source = readFileSync(join(ROOT, 'libs/service-kit/src/config/env.ts'), 'utf8');
  const match = new RegExp(`${name}: Type\\.Integer\\(\\{[^}]*default: ([\\d_]+)`).exec(source);
  if (!match) throw new Error(`cannot find the default of ${name} in libs/service-kit/src/config/env.ts`);
  return Number(match[1].replaceAll('_', ''));
}
const DEFAULT_SHUTDOWN_TIMEOUT_MS = envDefault('SHUTDOWN_TIMEOUT_MS');
const DEFAULT_DATABASE_POOL_MAX = envDefault('DATABASE_POOL_MAX');

// --- quantities -----------------------------------------------------------------------------------------------

function cpuCores(quantity) {
  const text = String(quantity ?? '');
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  return match ? Number(match[1]) / (match[2] ? 1000 : 1) : NaN;
}

const BYTE_UNITS = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};
function bytes(quantity) {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(String(quantity ?? ''));
  return match ? Number(match[1]) * BYTE_UNITS[match[2] ?? ''] : NaN;
}

// --- 1. resolve the kustomization -----------------------------------------------------------------------------

function yamlFilesUnder(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(entry) ? [relative(K8S, path).split(sep).join('/')] : [];
  });
}

function loadYaml(file, all) {
  const text = readFileSync(join(K8S, file), 'utf8');
  return all ? yaml.loadAll(text).filter((doc) => doc !== null && doc !== undefined) : yaml.load(text);
}

let kustomization;
try {
  kustomization = loadYaml(KUSTOMIZATION, false);
} catch (error) {
  console.error(`k8s: deploy/k8s/${KUSTOMIZATION} cannot be read or parsed: ${error.message}`);
  process.exit(1);
}
if (!isObject(kustomization)) {
  console.error(`k8s: deploy/k8s/${KUSTOMIZATION} is not a mapping`);
  process.exit(1);
}

expect(
  kustomization.apiVersion === 'kustomize.config.k8s.io/v1beta1' && kustomization.kind === 'Kustomization',
  `${KUSTOMIZATION}: must be apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization`,
);
for (const field of Object.keys(kustomization)) {
  expect(
    KUSTOMIZATION_FIELDS.has(field),
    `${KUSTOMIZATION}: field "${field}" is not resolved by scripts/check-k8s.mjs (extend the script before using it)`,
  );
}
expect(kustomization.namespace === NAMESPACE, `${KUSTOMIZATION}: namespace must be ${NAMESPACE}`);
const commonLabels = Array.isArray(kustomization.labels) ? kustomization.labels : [];
expect(
  commonLabels.some((entry) => entry?.pairs?.[PART_OF[0]] === PART_OF[1] && entry.includeSelectors !== true),
  `${KUSTOMIZATION}: labels must add ${PART_OF[0]}: ${PART_OF[1]} (pairs, without includeSelectors)`,
);

const listed = Array.isArray(kustomization.resources) ? kustomization.resources : [];
expect(listed.length > 0, `${KUSTOMIZATION}: resources lists nothing`);
const objects = []; // { file, doc }
const listedFiles = new Set();
for (const entry of listed) {
  const file = String(entry).replace(/^\.\//, '');
  if (!expect(!/^[a-z]+:\/\//i.test(file) && !file.startsWith('..'), `${KUSTOMIZATION}: ${file} is not a local file`))
    continue;
  expect(!listedFiles.has(file), `${KUSTOMIZATION}: ${file} is listed twice`);
  listedFiles.add(file);
  let stat;
  try {
    stat = statSync(join(K8S, file));
  } catch {
    problems.push(`${KUSTOMIZATION}: lists ${file}, which does not exist`);
    continue;
  }
  if (!expect(stat.isFile(), `${KUSTOMIZATION}: ${file} is a directory; list the files`)) continue;
  expect(file !== NATS_VALUES, `${KUSTOMIZATION}: ${NATS_VALUES} is Helm values, not a kustomize resource`);
  try {
    for (const doc of loadYaml(file, true)) objects.push({ file, doc });
  } catch (error) {
    problems.push(`${file}: cannot be parsed: ${error.message}`);
  }
}
for (const file of yamlFilesUnder(K8S)) {
  if (file === KUSTOMIZATION || file === NATS_VALUES) continue;
  expect(listedFiles.has(file), `deploy/k8s/${file} is not listed in ${KUSTOMIZATION} resources`);
}

const byKind = new Map(); // kind -> Map(name -> { file, doc })
for (const { file, doc } of objects) {
  const name = doc?.metadata?.name;
  if (
    !expect(isObject(doc) && doc.apiVersion && doc.kind && name, `${file}: an object without apiVersion, kind or name`)
  )
    continue;
  const where = `${file}: ${doc.kind} ${name}`;
  expect(
    doc.metadata.namespace === undefined || doc.metadata.namespace === NAMESPACE,
    `${where}: namespace ${doc.metadata.namespace} (the kustomization puts everything in ${NAMESPACE})`,
  );
  if (!byKind.has(doc.kind)) byKind.set(doc.kind, new Map());
  const named = byKind.get(doc.kind);
  if (!expect(!named.has(name), `${where}: defined twice (also in ${named.get(name)?.file})`)) continue;
  named.set(name, { file, doc });
}
const all = (kind) => [...(byKind.get(kind)?.values() ?? [])];
const find = (kind, name) => byKind.get(kind)?.get(name)?.doc;

for (const { doc } of all('Namespace')) {
  expect(
    doc.metadata.name === NAMESPACE,
    `Namespace ${doc.metadata.name}: the kustomization's namespace is ${NAMESPACE}`,
  );
}

// --- 2. schema validation ------------------------------------------------------------------------------------

const isBuiltInGroup = (group) => group === '' || !group.includes('.') || group.endsWith('.k8s.io');
const validatedKinds = new Map();
for (const { file, doc } of objects) {
  if (!isObject(doc) || !doc.apiVersion || !doc.kind) continue;
  const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
  const where = `${file}: ${doc.kind} ${doc.metadata?.name}`;
  if (!isBuiltInGroup(group)) {
    expect(group === 'postgresql.cnpg.io', `${where}: no schema for ${doc.apiVersion} (extend scripts/check-k8s.mjs)`);
    continue;
  }
  let Model;
  try {
    const module = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${doc.kind}`);
    Model = module[doc.kind];
  } catch {
    Model = undefined;
  }
  if (!expect(typeof Model === 'function', `${where}: ${doc.apiVersion} ${doc.kind} is not a Kubernetes API type`))
    continue;
  try {
    new Model(JSON.parse(JSON.stringify(doc))).validate();
    const label = `${doc.apiVersion} ${doc.kind}`;
    validatedKinds.set(label, (validatedKinds.get(label) ?? 0) + 1);
  } catch (error) {
    problems.push(`${where}: ${error.message}`);
  }
}

// --- 3. cross-checks -----------------------------------------------------------------------------------------

const selects = (selector, labels) =>
  isObject(selector) &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

const clusters = all('Cluster').filter(({ doc }) => doc.apiVersion === 'postgresql.cnpg.io/v1');
const cnpgAppSecrets = new Set(clusters.map(({ doc }) => `${doc.metadata.name}-app`));

/** The text of every key of a ConfigMap or Secret defined in the kustomization. */
function dataOf(doc) {
  if (doc.kind === 'ConfigMap') return { ...doc.data };
  const decoded = Object.fromEntries(
    Object.entries(doc.data ?? {}).map(([key, value]) => [key, Buffer.from(String(value), 'base64').toString('utf8')]),
  );
  return { ...decoded, ...doc.stringData };
}

/**
 * The environment a container gets: name -> { value?, from }. envFrom in order, then env (which wins).
 * Problems for references to objects (or keys) that the kustomization does not define.
 */
function environmentOf(where, container) {
  const environment = new Map();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const target = find(kind, ref?.name);
    if (!expect(target, `${where}: envFrom names ${kind} ${ref?.name}, which the kustomization does not define`))
      continue;
    for (const [key, value] of Object.entries(dataOf(target))) {
      environment.set(`${source.prefix ?? ''}${key}`, { value: String(value), from: `${kind} ${ref.name}` });
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      environment.set(variable.name, { value: variable.value ?? '', from: 'env' });
      continue;
    }
    const ref = from.configMapKeyRef ?? from.secretKeyRef;
    if (!ref) {
      environment.set(variable.name, { from: 'env (field or resource)' });
      continue;
    }
    const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const what = `${where}: ${variable.name} from ${kind} ${ref.name} key ${ref.key}`;
    if (kind === 'Secret' && cnpgAppSecrets.has(ref.name)) {
      expect(CNPG_APP_SECRET_KEYS.has(ref.key), `${what}: CloudNativePG writes no such key`);
      environment.set(variable.name, { from: `CloudNativePG Secret ${ref.name}`, cnpg: ref });
      continue;
    }
    const target = find(kind, ref.name);
    if (!expect(target, `${what}: the kustomization defines no such ${kind}`)) continue;
    const data = dataOf(target);
    if (!expect(ref.key in data, `${what}: the ${kind} has no such key`)) continue;
    environment.set(variable.name, { value: String(data[ref.key]), from: `${kind} ${ref.name}` });
  }
  return environment;
}

/** The containerPort a probe or Service targetPort names (by name or number), or undefined. */
function resolvePort(container, port) {
  const ports = container.ports ?? [];
  const declared =
    typeof port === 'string' && !/^\d+$/.test(port)
      ? ports.find((p) => p.name === port)
      : ports.find((p) => Number(p.containerPort) === Number(port));
  return declared ? Number(declared.containerPort) : undefined;
}

function preStopSeconds(container) {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep?.seconds) return Number(preStop.sleep.seconds);
  const command = preStop?.exec?.command ?? [];
  const sleep = command.findIndex((word) => word === 'sleep' || String(word).endsWith('/sleep'));
  return sleep >= 0 ? Number(command[sleep + 1]) || 0 : 0;
}

function checkProbe(where, container, kind, path, port) {
  const probe = container[kind];
  if (!expect(isObject(probe?.httpGet), `${where}: no ${kind} (httpGet ${path})`)) return;
  expect(probe.httpGet.path === path, `${where}: ${kind} must GET ${path} (got ${probe.httpGet.path})`);
  const resolved = resolvePort(container, probe.httpGet.port);
  expect(
    resolved === port,
    `${where}: ${kind} port ${probe.httpGet.port} is not the declared containerPort ${port} (resolves to ${resolved})`,
  );
}

function checkResources(where, resources) {
  const requests = resources?.requests ?? {};
  const limits = resources?.limits ?? {};
  const cpuRequest = cpuCores(requests.cpu);
  const memoryRequest = bytes(requests.memory);
  const memoryLimit = bytes(limits.memory);
  expect(cpuRequest > 0, `${where}: needs a CPU request (the HPA's utilization is measured against it)`);
  expect(memoryRequest > 0, `${where}: needs a memory request`);
  expect(memoryLimit > 0, `${where}: needs a memory limit`);
  expect(!(memoryLimit < memoryRequest), `${where}: memory limit ${limits.memory} is below the request`);
  if (limits.cpu !== undefined)
    expect(!(cpuCores(limits.cpu) < cpuRequest), `${where}: CPU limit is below the request`);
  return `${requests.cpu}/${requests.memory} -> ${limits.cpu ?? 'no CPU limit'}/${limits.memory}`;
}

function checkSecurity(where, pod, container) {
  const podContext = pod.securityContext ?? {};
  const context = container.securityContext ?? {};
  expect(
    (context.runAsNonRoot ?? podContext.runAsNonRoot) === true,
    `${where}: runAsNonRoot must be true (the image runs as the user node)`,
  );
  const user = context.runAsUser ?? podContext.runAsUser;
  expect(
    Number.isInteger(user) && user > 0,
    `${where}: runAsUser must be a non-zero uid (the image's USER is a name the kubelet cannot check; node is 1000)`,
  );
  expect(context.allowPrivilegeEscalation === false, `${where}: allowPrivilegeEscalation must be false`);
  expect(context.capabilities?.drop?.includes('ALL'), `${where}: capabilities must drop ALL`);
  expect(
    (context.seccompProfile ?? podContext.seccompProfile)?.type === 'RuntimeDefault',
    `${where}: seccompProfile must be RuntimeDefault`,
  );
  if (expect(context.readOnlyRootFilesystem === true, `${where}: readOnlyRootFilesystem must be true`)) {
    const tmp = (container.volumeMounts ?? []).find((mount) => mount.mountPath === '/tmp');
    const volume = (pod.volumes ?? []).find((v) => v.name === tmp?.name);
    expect(tmp && volume?.emptyDir, `${where}: a read-only root needs an emptyDir mounted at /tmp`);
  }
}

function checkEnvironment(where, name, environment, natsServers) {
  const value = (key) => environment.get(key)?.value;
  expect(value('NODE_ENV') === 'production', `${where}: NODE_ENV must be production (got ${value('NODE_ENV')})`);
  expect(
    value('PORT') === undefined || value('PORT') === String(SERVICES[name]),
    `${where}: PORT ${value('PORT')} is not ${SERVICES[name]}`,
  );
  const natsUrl = value('NATS_URL') ?? '';
  if (expect(NATS_URL_PATTERN.test(natsUrl), `${where}: NATS_URL "${natsUrl}" is not a comma-separated server list`)) {
    natsServers.add(natsUrl);
  }
  expect(value('NATS_STREAM_REPLICAS') === '3', `${where}: NATS_STREAM_REPLICAS must be 3`);

  const database = environment.get('DATABASE_URL');
  if (WITHOUT_DATABASE.has(name)) {
    expect(!database, `${where}: ${name} keeps no database; give it no DATABASE_URL`);
  } else {
    expect(
      database?.cnpg && ['uri', 'fqdn-uri'].includes(database.cnpg.key),
      `${where}: DATABASE_URL must come from the CloudNativePG Secret <cluster>-app, key uri`,
    );
  }

  const holdsPrivate = environment.has('SECRETS_PRIVATE_KEYS');
  if (PRIVATE_KEY_HOLDERS.has(name)) {
    expect(holdsPrivate, `${where}: needs SECRETS_PRIVATE_KEYS (production refuses to start without it)`);
  } else {
    expect(!holdsPrivate, `${where}: must not hold SECRETS_PRIVATE_KEYS (docs/secrets.md: execution plane only)`);
  }
  if (name === 'data-service') {
    expect(
      environment.has('JWT_SECRET') || environment.has('JWT_JWKS_URI'),
      `${where}: needs JWT_SECRET or JWT_JWKS_URI (production refuses to start without one)`,
    );
    expect(environment.has('SECRETS_PUBLIC_KEY'), `${where}: needs SECRETS_PUBLIC_KEY`);
  }
}

const deploymentReport = [];
const natsServerLists = new Set();
const databaseConnections = []; // { name, replicas, pool }

for (const [name, port] of Object.entries(SERVICES)) {
  const deployment = find('Deployment', name);
  if (!expect(deployment, `no Deployment ${name}`)) continue;
  const where = `Deployment ${name}`;
  expect(deployment.apiVersion === 'apps/v1', `${where}: apiVersion must be apps/v1`);
  const spec = deployment.spec ?? {};
  const template = spec.template ?? {};
  const labels = template.metadata?.labels ?? {};
  const pod = template.spec ?? {};
  expect(
    selects(spec.selector?.matchLabels, labels),
    `${where}: selector.matchLabels must match the pod template's labels`,
  );
  for (const { doc: other } of all('Deployment')) {
    if (other.metadata.name === name) continue;
    expect(
      !selects(spec.selector?.matchLabels, other.spec?.template?.metadata?.labels),
      `${where}: its selector also matches the pods of Deployment ${other.metadata.name}`,
    );
  }
  expect((spec.replicas ?? 1) >= 2, `${where}: needs at least 2 replicas`);
  const strategy = spec.strategy ?? {};
  expect(
    (strategy.type ?? 'RollingUpdate') === 'RollingUpdate' &&
      ['0', '0%'].includes(String(strategy.rollingUpdate?.maxUnavailable)) &&
      Number.parseInt(String(strategy.rollingUpdate?.maxSurge), 10) >= 1,
    `${where}: strategy must be RollingUpdate with maxUnavailable 0 and maxSurge 1 or more`,
  );

  const annotations = template.metadata?.annotations ?? {};
  expect(
    annotations['prometheus.io/scrape'] === 'true' &&
      annotations['prometheus.io/port'] === String(port) &&
      annotations['prometheus.io/path'] === '/metrics',
    `${where}: pod template needs prometheus.io/scrape "true", port "${port}", path /metrics`,
  );

  const containers = pod.containers ?? [];
  const container = containers.find((c) => c.name === name);
  if (!expect(container, `${where}: no container named ${name}`)) continue;
  const at = `${where} container ${name}`;
  const image = String(container.image ?? '');
  const imageName = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  expect(imageName.endsWith(`/${name}`), `${at}: image ${image} is not the ${name} image`);
  const imageEntry = (kustomization.images ?? []).find((entry) => entry?.name === imageName);
  expect(
    imageEntry && (imageEntry.newTag || imageEntry.digest),
    `${at}: ${KUSTOMIZATION} images needs an entry for ${imageName} with newTag or digest (to override it)`,
  );
  expect(
    (container.ports ?? []).some((p) => Number(p.containerPort) === port),
    `${at}: must declare containerPort ${port}`,
  );
  checkProbe(at, container, 'readinessProbe', '/health/ready', port);
  checkProbe(at, container, 'livenessProbe', '/health/live', port);
  if (container.startupProbe) checkProbe(at, container, 'startupProbe', '/health/live', port);
  const resources = checkResources(at, container.resources);
  checkSecurity(at, pod, container);

  const environment = environmentOf(at, container);
  checkEnvironment(at, name, environment, natsServerLists);
  const shutdownMs = Number(environment.get('SHUTDOWN_TIMEOUT_MS')?.value ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
  const graceSeconds = pod.terminationGracePeriodSeconds ?? 30;
  const pause = preStopSeconds(container);
  expect(
    graceSeconds > pause + shutdownMs / 1000,
    `${where}: terminationGracePeriodSeconds ${graceSeconds} must exceed the preStop pause (${pause} s) + ` +
      `SHUTDOWN_TIMEOUT_MS (${shutdownMs / 1000} s)`,
  );

  // Service
  const services = all('Service').filter(({ doc }) => selects(doc.spec?.selector, labels));
  if (
    expect(services.length === 1, `${where}: needs exactly one Service selecting its pods (found ${services.length})`)
  ) {
    const service = services[0].doc;
    expect((service.spec.type ?? 'ClusterIP') === 'ClusterIP', `Service ${service.metadata.name}: must be ClusterIP`);
    expect(
      (service.spec.ports ?? []).some((p) => resolvePort(container, p.targetPort ?? p.port) === port),
      `Service ${service.metadata.name}: no port targets containerPort ${port} of ${name}`,
    );
  }

  // HPA
  const hpas = all('HorizontalPodAutoscaler').filter(
    ({ doc }) =>
      doc.spec?.scaleTargetRef?.kind === 'Deployment' &&
      doc.spec.scaleTargetRef.name === name &&
      doc.spec.scaleTargetRef.apiVersion === 'apps/v1',
  );
  let maxReplicas = spec.replicas ?? 1;
  if (expect(hpas.length === 1, `${where}: needs exactly one HPA targeting it (apps/v1 Deployment ${name})`)) {
    const hpa = hpas[0].doc;
    const hpaWhere = `HorizontalPodAutoscaler ${hpa.metadata.name}`;
    expect(hpa.apiVersion === 'autoscaling/v2', `${hpaWhere}: apiVersion must be autoscaling/v2`);
    expect((hpa.spec.minReplicas ?? 1) >= 2, `${hpaWhere}: minReplicas must be at least 2`);
    expect(hpa.spec.maxReplicas >= (hpa.spec.minReplicas ?? 1), `${hpaWhere}: maxReplicas is below minReplicas`);
    const cpu = (hpa.spec.metrics ?? []).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
    const utilization = cpu?.resource?.target?.averageUtilization;
    expect(
      cpu?.resource?.target?.type === 'Utilization' && utilization > 0 && utilization <= 100,
      `${hpaWhere}: needs a CPU Utilization target between 1 and 100`,
    );
    maxReplicas = hpa.spec.maxReplicas;
    deploymentReport.push(
      `${name}: :${port}, ${resources}, HPA ${hpa.spec.minReplicas}-${hpa.spec.maxReplicas} at ${utilization}% CPU, ` +
        `grace ${graceSeconds} s`,
    );
  }
  if (!WITHOUT_DATABASE.has(name)) {
    const pool = Number(environment.get('DATABASE_POOL_MAX')?.value ?? DEFAULT_DATABASE_POOL_MAX);
    databaseConnections.push({ name, replicas: maxReplicas, pool });
  }

  // PDB
  const pdbs = all('PodDisruptionBudget').filter(({ doc }) => selects(doc.spec?.selector?.matchLabels, labels));
  if (expect(pdbs.length === 1, `${where}: needs exactly one PodDisruptionBudget selecting its pods`)) {
    const pdb = pdbs[0].doc.spec;
    const pdbWhere = `PodDisruptionBudget ${pdbs[0].doc.metadata.name}`;
    const minReplicas = hpas[0]?.doc.spec.minReplicas ?? spec.replicas ?? 1;
    expect(
      (pdb.minAvailable === undefined) !== (pdb.maxUnavailable === undefined),
      `${pdbWhere}: set one of minAvailable and maxUnavailable`,
    );
    if (typeof pdb.minAvailable === 'number') {
      expect(pdb.minAvailable < minReplicas, `${pdbWhere}: minAvailable ${pdb.minAvailable} blocks every eviction`);
    }
    if (pdb.maxUnavailable !== undefined) {
      expect(Number.parseInt(String(pdb.maxUnavailable), 10) >= 1, `${pdbWhere}: maxUnavailable 0 blocks evictions`);
    }
  }
}
for (const kind of ['Service', 'PodDisruptionBudget']) {
  for (const { doc } of all(kind)) {
    const selector = kind === 'Service' ? doc.spec?.selector : doc.spec?.selector?.matchLabels;
    const matched = all('Deployment').filter(({ doc: d }) => selects(selector, d.spec?.template?.metadata?.labels));
    expect(matched.length === 1, `${kind} ${doc.metadata.name}: selects the pods of ${matched.length} Deployments`);
  }
}
for (const { doc } of all('HorizontalPodAutoscaler')) {
  expect(
    find('Deployment', doc.spec?.scaleTargetRef?.name),
    `HorizontalPodAutoscaler ${doc.metadata.name}: targets no Deployment of the kustomization`,
  );
}
for (const entry of kustomization.images ?? []) {
  const used = all('Deployment').some(({ doc }) =>
    (doc.spec?.template?.spec?.containers ?? []).some((c) => String(c.image).replace(/[:@].*$/, '') === entry?.name),
  );
  expect(used, `${KUSTOMIZATION}: images entry ${entry?.name} matches no container image`);
}

// Secrets in git: placeholders that the services refuse at start, never usable values
for (const { doc } of all('Secret')) {
  for (const [key, value] of Object.entries(dataOf(doc))) {
    const where = `Secret ${doc.metadata.name} key ${key}`;
    expect(String(value).startsWith(PLACEHOLDER), `${where}: committed value must be a ${PLACEHOLDER} placeholder`);
    if (key === 'JWT_SECRET')
      expect(String(value).length < 16, `${where}: the placeholder must be invalid (< 16 chars)`);
    if (key.startsWith('SECRETS_')) expect(!KEY_PATTERN.test(String(value)), `${where}: looks like a real key`);
  }
}

// --- CloudNativePG ---------------------------------------------------------------------------------------------

const clusterReport = [];
expect(clusters.length === 1, `expected one CloudNativePG Cluster (postgresql.cnpg.io/v1), found ${clusters.length}`);
for (const { file, doc } of clusters) {
  const where = `${file}: Cluster ${doc.metadata.name}`;
  const spec = doc.spec ?? {};
  expect(Number.isInteger(spec.instances) && spec.instances >= 3, `${where}: needs 3 or more instances`);
  const tag = String(spec.imageName ?? '')
    .split(':')
    .pop();
  const major = Number(/^(\d+)/.exec(tag)?.[1]);
  expect(
    spec.imageCatalogRef || major >= POSTGRES_MIN_MAJOR,
    `${where}: imageName must name PostgreSQL ${POSTGRES_MIN_MAJOR} or later by its tag (got ${spec.imageName})`,
  );
  expect(bytes(spec.storage?.size) > 0, `${where}: needs storage.size`);
  const initdb = spec.bootstrap?.initdb;
  expect(
    initdb?.database === 'signalbox' && initdb?.owner === 'signalbox',
    `${where}: bootstrap.initdb must create database signalbox owned by signalbox`,
  );
  const scraped =
    spec.monitoring?.enablePodMonitor === true ||
    spec.inheritedMetadata?.annotations?.['prometheus.io/scrape'] === 'true';
  expect(
    isObject(spec.monitoring) && spec.monitoring.disableDefaultQueries !== true && scraped,
    `${where}: monitoring must keep the default queries and be scraped (a scrape annotation or a PodMonitor)`,
  );
  expect(spec.affinity?.enablePodAntiAffinity !== false, `${where}: instances must not share a node`);
  const maxConnections = Number(spec.postgresql?.parameters?.max_connections ?? POSTGRES_DEFAULT_MAX_CONNECTIONS);
  const needed = databaseConnections.reduce((sum, { replicas, pool }) => sum + replicas * pool, 0);
  expect(
    maxConnections >= needed + POSTGRES_CONNECTION_HEADROOM,
    `${where}: max_connections ${maxConnections} is below the services' pools at their HPA maxima (` +
      `${databaseConnections.map(({ name, replicas, pool }) => `${name} ${replicas}x${pool}`).join(' + ')} = ${needed}) ` +
      `+ ${POSTGRES_CONNECTION_HEADROOM}`,
  );
  const backups = Boolean(spec.backup?.barmanObjectStore || spec.backup?.volumeSnapshot || spec.plugins?.length);
  clusterReport.push(
    `Cluster ${doc.metadata.name}: ${spec.instances} instances, PostgreSQL ${major}, ${spec.storage?.size}, ` +
      `max_connections ${maxConnections} >= ${needed} + ${POSTGRES_CONNECTION_HEADROOM}` +
      (backups ? '' : ' (note: no backup configured yet, see the placeholder in the file)'),
  );
}

// --- NATS Helm values -------------------------------------------------------------------------------------------

let natsReport = '';
let values;
try {
  values = loadYaml(NATS_VALUES, false);
} catch (error) {
  problems.push(`${NATS_VALUES}: cannot be read or parsed: ${error.message}`);
}
if (isObject(values)) {
  const config = values.config ?? {};
  const replicas = config.cluster?.replicas;
  expect(config.cluster?.enabled === true, `${NATS_VALUES}: config.cluster.enabled must be true`);
  expect(replicas === 3, `${NATS_VALUES}: config.cluster.replicas must be 3 (got ${replicas})`);
  const jetstream = config.jetstream ?? {};
  expect(jetstream.enabled === true, `${NATS_VALUES}: config.jetstream.enabled must be true`);
  expect(
    jetstream.fileStore?.enabled !== false && jetstream.fileStore?.pvc?.enabled !== false,
    `${NATS_VALUES}: JetStream must store on files, on a PVC (config.jetstream.fileStore)`,
  );
  expect(bytes(jetstream.fileStore?.pvc?.size) > 0, `${NATS_VALUES}: config.jetstream.fileStore.pvc.size must be set`);
  const sync = jetstream.merge?.sync_interval ?? jetstream.merge?.sync ?? config.merge?.jetstream?.sync_interval;
  const syncMs = /^(\d+)(ms|s|m|h)$/.exec(String(sync ?? ''));
  const toMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  expect(
    sync === 'always' || (syncMs && Number(syncMs[1]) * toMs[syncMs[2]] < 120_000),
    `${NATS_VALUES}: set config.jetstream.merge.sync_interval to always or a duration under the 2m default ` +
      `(got ${sync})`,
  );
  const antiAffinity =
    values.podTemplate?.merge?.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const hostSpread = values.podTemplate?.topologySpreadConstraints?.['kubernetes.io/hostname'];
  expect(
    (Array.isArray(antiAffinity) && antiAffinity.some((term) => term.topologyKey === 'kubernetes.io/hostname')) ||
      hostSpread?.whenUnsatisfiable === 'DoNotSchedule',
    `${NATS_VALUES}: the NATS pods must be kept on separate nodes (required pod anti-affinity on kubernetes.io/hostname)`,
  );
  expect(values.podDisruptionBudget?.enabled !== false, `${NATS_VALUES}: podDisruptionBudget must stay enabled`);

  expect(natsServerLists.size <= 1, `the services do not share one NATS_URL (${[...natsServerLists].join(' | ')})`);
  for (const list of natsServerLists) {
    const hosts = list.split(',').map((url) => new URL(url).hostname);
    const pods = hosts.map((host) => /^([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)\./.exec(host));
    const release = pods[0]?.[1];
    const ordinals = pods.map((pod) => Number(pod?.[2])).sort((a, b) => a - b);
    expect(
      hosts.length === replicas &&
        pods.every((pod) => pod && pod[1] === release && pod[3] === `${release}-headless`) &&
        ordinals.every((ordinal, index) => ordinal === index),
      `NATS_URL must list the ${replicas} servers of the release (<release>-0..${replicas - 1}.<release>-headless): ${list}`,
    );
  }
  natsReport =
    `NATS values: ${replicas} clustered servers on separate nodes, JetStream on files ` +
    `(${jetstream.fileStore?.pvc?.size}), sync_interval ${sync}, PDB on; NATS_URL lists ${replicas} servers`;
}

if (problems.length) {
  console.error(problems.map((problem) => `k8s: ${problem}`).join('\n'));
  process.exit(1);
}
console.log(
  `deploy/k8s: ${plural(listedFiles.size, 'file')} and ${plural(objects.length, 'object')} resolved from ` +
    `${KUSTOMIZATION} (namespace ${NAMESPACE}); every YAML file listed`,
);
console.log(
  `schema-checked (kubernetes-models): ${[...validatedKinds].map(([kind, count]) => `${count}x ${kind}`).join(', ')}`,
);
console.log(`${plural(deploymentReport.length, 'service')} with probes, resources, security, Service, PDB and HPA:`);
for (const line of deploymentReport) console.log(`  ${line}`);
for (const line of clusterReport) console.log(line);
console.log(natsReport);
