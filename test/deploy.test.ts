import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as check from './helpers/deploy-check.ts';
import { type AppContainer, arr, dig, type Obj, obj } from './helpers/deploy-check.ts';

// The deploy files, read as Docker, compose and Kubernetes would (this machine runs no containers).

const read = (file: string) => readFileSync(path.join(check.ROOT, file), 'utf8');
const operatorValues = check.operatorValues();
const shutdownMs = /SHUTDOWN_TIMEOUT_MS = ([\d_]+)/.exec(read('src/server.ts'))?.[1] ?? '';
const SHUTDOWN_SECONDS = Number(shutdownMs.replaceAll('_', '')) / 1000;
const seconds = (duration: unknown) => Number(/^(\d+)s$/.exec(String(duration))?.[1]);
const mebibytes = (quantity: unknown) => Number(/^(\d+)Mi$/.exec(String(quantity))?.[1]);
const flag = (argv: string[], name: string) =>
  Number(argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]);

const stages = check.parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1)!;
const imageEnv = check.dockerEnv(runtime);
const imageCmd = check.execForm(check.argsOf(runtime, 'CMD').at(-1) ?? '[]');
const commandOf = (app: AppContainer) => app.command ?? imageCmd;
const runsServer = (app: AppContainer) => commandOf(app).includes('src/server.ts');
const configOf = (app: AppContainer) => check.configOf(app, imageEnv);

// compose, with the operator's `.env` made of the example's names.
const exampleNames = read('deploy/compose.env.example').match(/^\w+(?==)/gm) ?? [];
const operatorEnv = Object.fromEntries(exampleNames.map((name) => [name, operatorValues[name]]));
const compose = check.composeApps(check.readYaml('compose.yaml')[0], operatorEnv);
const serviceName = (app: AppContainer) => app.where.split(' ').at(-1)!;
const composeApis = compose.apps.filter(runsServer);
const apiAddresses = composeApis.map((app) => `${serviceName(app)}:${configOf(app).port}`);

// Kubernetes, with the Secret template's placeholders replaced by what an operator would put there.
const k8sDocs = check.yamlFilesUnder('deploy/k8s').flatMap((file) => check.readYaml(file).map(obj));
const k8s = check.k8sApps(k8sDocs, (name, placeholder) => operatorValues[name] ?? placeholder);
const k8sApi = k8s.apps.find(runsServer)!;

it('every YAML deploy file parses', () => {
  const grafana = check.yamlFilesUnder('ops/grafana/provisioning');
  const files = [
    'compose.yaml',
    'ops/prometheus/prometheus.yml',
    ...grafana,
    ...check.yamlFilesUnder('deploy'),
  ];
  for (const file of files) expect(check.readYaml(file).length, file).toBeGreaterThan(0);
  expect(files.length).toBeGreaterThanOrEqual(12);
});

describe('the image', () => {
  it('is Node 24 slim, runs the API as a non-root user, health-checked on /healthz', () => {
    expect(stages.map((s) => s.image)).toEqual(['node:24-slim', 'node:24-slim']);
    expect(check.argsOf(runtime, 'USER').at(-1)?.split(':')[0]).toMatch(/^(?!0$|root$)\S+$/);
    const healthcheck = check.execForm(check.argsOf(runtime, 'HEALTHCHECK')[0] ?? '').join(' ');
    expect(healthcheck).toMatch(/^node -e fetch\(.*\/healthz/);
    expect(check.argsOf(runtime, 'EXPOSE')).toEqual([String(configOf(k8sApi).port)]);
    expect(imageEnv.NODE_ENV).toBe('production');
    expect(check.unknownVariables('Dockerfile ENV', imageEnv)).toEqual([]);
    // `npm start` without npm and without its web build: the same node flags, then the server.
    const start = JSON.parse(read('package.json')).scripts.start as string;
    expect(imageCmd).toEqual(['node', ...(start.match(/--max-\S+/g) ?? []), 'src/server.ts']);
    const runs = stages.flatMap((stage) => check.argsOf(stage, 'RUN')).map(check.execForm);
    expect([imageCmd, ...runs].flatMap((argv) => check.commandProblems('Dockerfile', argv))).toEqual([]);
  });

  it('installs every workspace, only production dependencies in the runtime, with the built web app', () => {
    const workspaces = JSON.parse(read('package.json')).workspaces as string[];
    for (const stage of stages) {
      const beforeInstall = stage.steps.slice(
        0,
        stage.steps.findIndex((s) => /npm ci/.test(s.args)),
      );
      const copied = beforeInstall.filter((s) => s.op === 'COPY').map((s) => s.args);
      expect(copied.join(' '), stage.name).toContain('package-lock.json');
      for (const ws of workspaces)
        expect(copied, `${stage.name}: ${ws}`).toContain(`${ws}/package.json ${ws}/`);
    }
    expect(check.argsOf(runtime, 'RUN').some((r) => /npm ci --omit=dev/.test(r))).toBe(true);
    expect(check.argsOf(runtime, 'COPY')).toContain(`--from=${stages[0]?.name} /app/web/dist web/dist`);
  });

  it('is built from only what it copies: never .env, .data or node_modules', () => {
    const lines = read('.dockerignore').match(/^[^#\n].*$/gm) ?? [];
    expect(lines[0]).toBe('*');
    expect(lines).toContain('**/node_modules');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    expect(allowed.filter((a) => /^\.(env|data)/.test(a))).toEqual([]);
    const copies = stages.flatMap((s) => check.argsOf(s, 'COPY').filter((a) => !a.startsWith('--from')));
    for (const source of copies.flatMap((args) => args.split(/\s+/).slice(0, -1))) {
      const file = source.replace(/\/$/, '');
      expect(
        allowed.some((a) => file === a || file.startsWith(`${a}/`)),
        file,
      ).toBe(true);
    }
  });
});

describe('compose.yaml', () => {
  const { services } = compose;
  const mounts = (name: string) => arr(dig(services, name, 'volumes')).map(String);

  it('needs from the operator only what deploy/compose.env.example lists', () => {
    expect(compose.missing).toEqual([]);
  });

  it('gives each app container only variables the server reads, and all that production requires', () => {
    expect(compose.apps.map(serviceName)).toEqual(['migrate', 'api-1', 'api-2', 'worker']);
    expect(compose.apps.flatMap((app) => check.envProblems(app, imageEnv))).toEqual([]);
    expect(compose.apps.flatMap((app) => check.commandProblems(app.where, commandOf(app)))).toEqual([]);
    expect(new Set(compose.apps.map((app) => configOf(app).env))).toEqual(new Set(['production']));
  });

  it('runs two API replicas without jobs or migrations, after the migration, drained before they are killed', () => {
    expect(composeApis).toHaveLength(2);
    for (const api of composeApis) {
      const { runJobs, migrateOnStart, trustProxy } = configOf(api);
      expect([runJobs, migrateOnStart, trustProxy]).toEqual([false, false, 1]);
      const service = services[serviceName(api)];
      expect(dig(service, 'depends_on', 'migrate', 'condition')).toBe('service_completed_successfully');
      expect(seconds(dig(service, 'stop_grace_period'))).toBeGreaterThan(SHUTDOWN_SECONDS);
    }
    expect(commandOf(compose.apps.find((app) => serviceName(app) === 'worker')!)).toContain('src/worker.ts');
    expect(dig(services, 'migrate', 'command')).toEqual(['node', 'src/cli.ts', 'migrate']);
  });

  it('waits only on services that have a health check', () => {
    // Its own check, or our image's HEALTHCHECK; either way not switched off.
    const healthy = (s: Obj) =>
      !dig(s, 'healthcheck', 'disable') &&
      (Boolean(s.healthcheck) || s.image === dig(services, 'api-1', 'image'));
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, how] of Object.entries(obj(dig(service, 'depends_on')))) {
        if (dig(how, 'condition') !== 'service_healthy') continue;
        expect(healthy(obj(services[dependency])), `${name} → ${dependency}`).toBe(true);
      }
    }
  });

  it('puts nginx in front of every API replica, passing the WebSocket, the client and the request id', () => {
    const nginx = read('deploy/nginx.conf');
    expect(mounts('proxy')).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect([...nginx.matchAll(/^\s*server (\S+:\d+)/gm)].map((m) => m[1])).toEqual(apiAddresses);
    expect(nginx).toMatch(/location \/api\/v1\/ws\//);
    for (const header of ['Upgrade', 'Connection', 'X-Forwarded-For', 'X-Request-Id']) {
      expect(nginx).toMatch(new RegExp(`proxy_set_header ${header} \\$`));
    }
  });

  it('has Prometheus scrape every API replica with the alert rules, and Grafana provisioned from ops/', () => {
    const prometheus = check.readYaml('ops/prometheus/prometheus.yml')[0];
    const targets = arr(dig(prometheus, 'scrape_configs')).flatMap((job) =>
      arr(dig(job, 'static_configs')).flatMap((c) => arr(dig(c, 'targets'))),
    );
    expect(targets).toEqual(apiAddresses);
    expect(dig(prometheus, 'rule_files')).toEqual(['/etc/prometheus/alerts.yml']);
    expect(mounts('prometheus')).toContain('./ops/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
    expect(mounts('grafana')).toContain('./ops/grafana/provisioning:/etc/grafana/provisioning:ro');
    const dashboard = mounts('grafana').find((m) => m.startsWith('./ops/grafana/amrutam.json:'));
    const provisioning = (file: string) => check.readYaml(`ops/grafana/provisioning/${file}`)[0];
    const providers = arr(dig(provisioning('dashboards/amrutam.yml'), 'providers'));
    expect(providers.map((p) => `${dig(p, 'options', 'path')}/amrutam.json`)).toEqual([
      dashboard?.split(':')[1],
    ]);
    const datasources = arr(dig(provisioning('datasources/prometheus.yml'), 'datasources'));
    expect(datasources.map((d) => dig(d, 'url'))).toEqual(['http://prometheus:9090']);
  });
});

describe('/metrics in production', () => {
  it('is served only for METRICS_TOKEN, which Prometheus sends from the secret compose mounts', () => {
    const [job] = arr(dig(check.readYaml('ops/prometheus/prometheus.yml')[0], 'scrape_configs'));
    expect(dig(job, 'authorization', 'type')).toBe('Bearer');
    const file = String(dig(job, 'authorization', 'credentials_file'));
    const secret = file.replace('/run/secrets/', '');
    expect(arr(dig(compose.services, 'prometheus', 'secrets'))).toEqual([secret]);
    expect(dig(check.readYaml('compose.yaml')[0], 'secrets', secret, 'environment')).toBe('METRICS_TOKEN');
    for (const api of [...composeApis, k8sApi]) {
      expect(configOf(api).metrics, api.where).toEqual({ token: operatorValues.METRICS_TOKEN, served: true });
      expect(configOf(api).apiDocs, api.where).toBe(false);
    }
  });
});

describe('the Kubernetes manifests', () => {
  const kind = (k: string) => k8sDocs.filter((d) => d.kind === k);
  const name = (doc: unknown) => String(dig(doc, 'metadata', 'name'));

  it('give each app container only variables the server reads, and all that production requires', () => {
    expect(k8s.apps.map((app) => app.where)).toEqual([
      'Deployment amrutam-api container api',
      'Job amrutam-migrate container migrate',
      'Deployment amrutam-worker container worker',
    ]);
    expect(k8s.problems).toEqual([]);
    expect(k8s.apps.flatMap((app) => check.envProblems(app, imageEnv))).toEqual([]);
    expect(k8s.apps.flatMap((app) => check.commandProblems(app.where, commandOf(app)))).toEqual([]);
  });

  it('probe the API on the port it listens on, and drain it before SIGTERM', () => {
    const { container, pod } = k8sApi;
    const ports = arr(container.ports).map(obj);
    const probe = (which: string) => {
      const { path: route, port } = obj(dig(container, which, 'httpGet'));
      return [route, typeof port === 'number' ? port : ports.find((p) => p.name === port)?.containerPort];
    };
    const port = configOf(k8sApi).port;
    expect(probe('readinessProbe')).toEqual(['/readyz', port]);
    expect(probe('livenessProbe')).toEqual(['/healthz', port]);
    expect(probe('startupProbe')).toEqual(['/healthz', port]);
    const [sleep, pause] = arr(dig(container, 'lifecycle', 'preStop', 'exec', 'command'));
    expect(sleep).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(pause) + SHUTDOWN_SECONDS);
  });

  it('run every pod as non-root on a read-only root filesystem, DATA_DIR on a volume, memory sized to the heap', () => {
    for (const app of k8s.apps) {
      const { pod, container, where } = app;
      expect(dig(pod, 'securityContext', 'runAsNonRoot'), where).toBe(true);
      expect(dig(pod, 'securityContext', 'runAsUser'), where).toBeGreaterThan(0);
      expect(dig(container, 'securityContext', 'readOnlyRootFilesystem'), where).toBe(true);
      const mounted = arr(container.volumeMounts).map((m) => dig(m, 'mountPath'));
      expect(mounted, where).toContain(configOf(app).dataDir);
      // The flags' old space and three semi-spaces (V8's young generation), then the rest of the process.
      const heap =
        flag(commandOf(app), 'max-old-space-size') + 3 * flag(commandOf(app), 'max-semi-space-size');
      const [request, limit] = ['requests', 'limits'].map((k) =>
        mebibytes(dig(container, 'resources', k, 'memory')),
      );
      expect(limit, where).toBeGreaterThanOrEqual(request!);
      if (!Number.isNaN(heap)) expect(request, where).toBeGreaterThan(heap);
    }
  });

  it('point the Service, autoscaler and disruption budgets at the Deployments', () => {
    const selects = (selector: unknown, deployment: Obj) =>
      Object.entries(obj(selector)).every(
        ([k, v]) => dig(deployment, 'spec', 'template', 'metadata', 'labels', k) === v,
      );
    const [service] = kind('Service');
    expect(selects(dig(service, 'spec', 'selector'), k8sApi.doc)).toBe(true);
    expect(arr(dig(service, 'spec', 'ports')).map((p) => dig(p, 'targetPort'))).toEqual(['http']);
    expect(arr(k8sApi.container.ports).map((p) => dig(p, 'name'))).toContain('http');
    const scaled = kind('HorizontalPodAutoscaler').map((h) => dig(h, 'spec', 'scaleTargetRef', 'name'));
    expect(scaled).toEqual([name(k8sApi.doc)]);
    for (const deployment of kind('Deployment')) {
      const budgets = kind('PodDisruptionBudget').filter((b) =>
        selects(dig(b, 'spec', 'selector', 'matchLabels'), deployment),
      );
      expect(budgets.map(name), name(deployment)).toHaveLength(1);
    }
  });

  it('deploy one image from both kustomizations, which list files that parse (never the Secret template)', () => {
    const kustomization = (dir: string) => check.readYaml(`${dir}/kustomization.yaml`)[0];
    const dirs = ['deploy/k8s', 'deploy/k8s/migrate'];
    expect(dig(kustomization(dirs[0]!), 'images')).toEqual(dig(kustomization(dirs[1]!), 'images'));
    for (const dir of dirs) {
      const resources = arr(dig(kustomization(dir), 'resources')).map(String);
      expect(resources).not.toContain('secret.example.yaml');
      for (const file of resources) {
        expect(check.readYaml(path.join(dir, file)).length, file).toBeGreaterThan(0);
      }
    }
  });
});

describe('the deploy checker', () => {
  const deployment = (env: Obj[]) => ({
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { template: { spec: { containers: [{ name: 'api', image: 'amrutam', env }] } } },
  });
  // The API's environment as the manifests give it: a valid production configuration.
  const complete = Object.entries(k8sApi.env).map(([name, value]) => ({ name, value }));
  const problemsOf = (env: Obj[]) =>
    check.envProblems(check.k8sApps([deployment(env)], (_, v) => v).apps[0]!, imageEnv);

  it('passes the complete environment, and reports a variable the server does not read', () => {
    expect(problemsOf(complete)).toEqual([]);
    const typo = complete.map((e) => (e.name === 'DATABASE_URL' ? { ...e, name: 'DATABSE_URL' } : e));
    expect(problemsOf(typo)).toEqual([
      'Deployment x container api: DATABSE_URL is not a variable the server reads (src/config-env.ts)',
    ]);
  });

  it('reports what production requires and the deployment lacks', () => {
    expect(problemsOf(complete.filter((e) => e.name !== 'SMTP_URL'))).toEqual([
      'Deployment x container api: SMTP_URL: required in production (smtp:// or smtps://)',
    ]);
    const file = {
      services: { api: { image: 'amrutam', environment: { SMTP_URL: `\${SMTP_URL:?set it}` } } },
    };
    expect(check.composeApps(file, {}).missing).toEqual(['SMTP_URL']);
  });

  it('reports a command that runs a file or a script that does not exist', () => {
    expect(check.commandProblems('here', ['node', 'src/servr.ts'])).toEqual([
      'here: runs src/servr.ts, which does not exist',
    ]);
    expect(check.commandProblems('here', ['npm', 'run', 'wroker'])).toEqual([
      'here: runs npm script wroker, which package.json lacks',
    ]);
  });
});
