// `node scripts/check-observability.mjs`: checks deploy/observability without Prometheus or Grafana (CI runs it).
// 1. The Grafana dashboard parses: a uid, unique panel ids, every panel on the `datasource` variable with at least
//    one query, every query valid PromQL (Prometheus's own grammar, @prometheus-io/lezer-promql).
// 2. The PrometheusRule parses: unique alert names, each with an expression in valid PromQL, a severity and a
//    summary; deploy/observability/compose/rules.yml (what the compose profile's Prometheus loads) holds the same
//    groups (`--write-compose-rules` writes it).
// 3. The kustomize component lists files that exist.
// 4. Every metric a query or rule names is one the services export: the `signalbox_` ones are registered in the
//    source, the others are prom-client's or the HTTP histogram's, or come from an exporter named below. With
//    `--metrics-from <url> ...` (the e2e suite passes the five running services) each name that is not an
//    exporter's must be in what those services' /metrics really serve.
// Exits 1 with one line per problem.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

import { parser } from '@prometheus-io/lezer-promql';
import yaml from 'js-yaml';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIR = join(ROOT, 'deploy', 'observability');
const DASHBOARD = join(DIR, 'grafana-dashboard.json');
const RULE = join(DIR, 'prometheus-rule.yaml');
const COMPOSE_RULES = join(DIR, 'compose', 'rules.yml');

/** Metrics of the exporters beside the platform, not of its services: each name used must be listed here. */
const EXPORTER_METRICS = {
  // prometheus-nats-exporter with -prefix=nats -jsz=all (the NATS Helm chart's promExporter, the compose profile)
  nats: [
    'nats_consumer_num_pending',
    'nats_consumer_num_ack_pending',
    'nats_consumer_num_redelivered',
    'nats_server_total_message_bytes',
    'nats_server_max_storage',
  ],
  // CloudNativePG's exporter (its default queries)
  cnpg: [
    'cnpg_collector_up',
    'cnpg_backends_total',
    'cnpg_backends_max_tx_duration_seconds',
    'cnpg_pg_settings_setting',
    'cnpg_pg_replication_lag',
    'cnpg_pg_stat_archiver_seconds_since_last_archival',
  ],
  // kube-state-metrics
  kube: ['kube_deployment_status_replicas_available', 'kube_deployment_spec_replicas'],
};
const EXPORTED_ELSEWHERE = new Set(Object.values(EXPORTER_METRICS).flat());
/** prom-client's default metrics the dashboard and rules use, and the services' HTTP histogram. */
const COMMON_METRICS = new Set([
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'http_request_duration_seconds_bucket',
  'http_request_duration_seconds_count',
]);

const problems = [];
const expect = (condition, message) => {
  if (!condition) problems.push(message);
};

/** The metric names a PromQL expression selects; records a problem when it does not parse. */
function metricsOf(expr, where) {
  // Grafana's variables are not PromQL: give them values of the right kind before parsing.
  const promql = expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m');
  const tree = parser.parse(promql);
  const names = [];
  let valid = true;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) valid = false;
      if (node.name === 'VectorSelector') {
        const name = node.node.getChild('Identifier');
        if (name) names.push(promql.slice(name.from, name.to));
      }
    },
  });
  expect(valid, `${where}: not valid PromQL: ${expr}`);
  expect(names.length > 0, `${where}: selects no metric: ${expr}`);
  return names.map((name) => ({ name, where }));
}

function checkDashboard() {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  expect(typeof dashboard.uid === 'string' && dashboard.uid.length > 0, 'dashboard: no uid');
  expect(
    dashboard.templating?.list?.some((variable) => variable.name === 'datasource' && variable.type === 'datasource'),
    'dashboard: no `datasource` variable',
  );
  const ids = new Set();
  const used = [];
  // A collapsed row holds its panels itself.
  const panels = (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  for (const panel of panels) {
    expect(!ids.has(panel.id), `dashboard: panel id ${panel.id} twice`);
    ids.add(panel.id);
    if (panel.type === 'row') continue;
    const where = `dashboard panel "${panel.title}"`;
    expect(panel.datasource?.uid === '${datasource}', `${where}: not on the datasource variable`);
    expect((panel.targets ?? []).length > 0, `${where}: no query`);
    for (const target of panel.targets ?? []) used.push(...metricsOf(target.expr ?? '', where));
  }
  expect(ids.size > 0, 'dashboard: no panels');
  return used;
}

function checkRule() {
  const rule = yaml.load(readFileSync(RULE, 'utf8'));
  expect(rule?.kind === 'PrometheusRule', 'prometheus-rule.yaml: not a PrometheusRule');
  expect(
    rule?.apiVersion === 'monitoring.coreos.com/v1',
    'prometheus-rule.yaml: apiVersion is not monitoring.coreos.com/v1',
  );
  const alerts = new Set();
  const used = [];
  for (const group of rule?.spec?.groups ?? []) {
    for (const entry of group.rules ?? []) {
      const where = `rule ${entry.alert ?? entry.record ?? '(unnamed)'}`;
      expect(typeof entry.alert === 'string', `${where}: no alert name`);
      expect(!alerts.has(entry.alert), `${where}: defined twice`);
      alerts.add(entry.alert);
      expect(entry.for === undefined || /^\d+[smh]$/.test(entry.for), `${where}: \`for\` is not a duration`);
      expect(['critical', 'warning', 'info'].includes(entry.labels?.severity), `${where}: no severity`);
      expect(typeof entry.annotations?.summary === 'string', `${where}: no summary`);
      used.push(...metricsOf(String(entry.expr ?? ''), where));
    }
  }
  expect(alerts.size > 0, 'prometheus-rule.yaml: no alerts');
  const groups = rule?.spec?.groups ?? [];
  if (process.argv.includes('--write-compose-rules')) {
    const header =
      '# Generated from ../prometheus-rule.yaml by `node scripts/check-observability.mjs --write-compose-rules`.\n';
    writeFileSync(COMPOSE_RULES, header + yaml.dump({ groups }, { lineWidth: 120 }));
  }
  let composeGroups;
  try {
    composeGroups = yaml.load(readFileSync(COMPOSE_RULES, 'utf8'))?.groups;
  } catch {
    // missing or not YAML: reported below
  }
  expect(
    JSON.stringify(composeGroups) === JSON.stringify(groups),
    'compose/rules.yml does not hold the groups of prometheus-rule.yaml: run with --write-compose-rules',
  );
  return used;
}

function checkComponent() {
  const component = yaml.load(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'));
  expect(component?.kind === 'Component', 'kustomization.yaml: not a kustomize Component');
  const files = [
    ...(component?.resources ?? []),
    ...(component?.configMapGenerator ?? []).flatMap((generator) => generator.files ?? []),
  ];
  const present = new Set(readdirSync(DIR));
  for (const file of files) expect(present.has(file), `kustomization.yaml: ${file} does not exist`);
  const k8s = readFileSync(join(ROOT, 'deploy', 'k8s', 'kustomization.yaml'), 'utf8');
  expect(k8s.includes('../observability'), 'deploy/k8s/kustomization.yaml does not name the component');
}

/** `signalbox_` metric names written in the services' and libraries' source. */
function registeredInSource() {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'dist', 'test'].includes(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/'(signalbox_[a-z0-9_]+)'/g)) names.add(match[1]);
      }
    }
  };
  walk(join(ROOT, 'apps'));
  walk(join(ROOT, 'libs'));
  return names;
}

/** Every series name the services at these URLs serve on /metrics (a histogram's as _bucket, _sum, _count). */
async function servedBy(urls) {
  const names = new Set();
  for (const url of urls) {
    const text = await (await fetch(new URL('/metrics', url))).text();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
    }
  }
  return names;
}

const used = [...checkDashboard(), ...checkRule()];
checkComponent();
const inSource = registeredInSource();
const at = process.argv.indexOf('--metrics-from');
const served = at >= 0 ? await servedBy(process.argv.slice(at + 1).filter((arg) => !arg.startsWith('--'))) : null;
for (const { name, where } of used) {
  if (EXPORTED_ELSEWHERE.has(name)) continue;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  if (served) expect(served.has(name), `${where}: the services do not serve ${name}`);
  else if (name.startsWith('signalbox_')) expect(inSource.has(base), `${where}: no service registers ${base}`);
  else
    expect(COMMON_METRICS.has(name), `${where}: ${name} is neither a service's metric nor an exporter's listed here`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
const distinct = new Set(used.map(({ name }) => name));
console.log(
  `deploy/observability looks right (${distinct.size} metrics named${served ? `, checked against ${served.size} served` : ''})`,
);
