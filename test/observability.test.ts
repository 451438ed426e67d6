import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestDatabase } from './helpers/services.ts';

// The dashboard and the alert rules name metrics by string: a renamed metric or a misspelt label
// leaves a panel empty and an alert silent, with nothing failing. This holds both files to what
// /metrics really exports, and each alert to a runbook in docs/operations.md.
const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const RULES_FILE = 'ops/prometheus/alerts.yml';
const RUNBOOKS = 'https://github.com/amrutam/amrutam/blob/main/docs/operations.md#';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook_url: string };
}
const rules = (parse(read(RULES_FILE)) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap(
  (g) => g.rules,
);

interface Panel {
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string; datasource: { uid: string } }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(read('ops/grafana/amrutam.json')) as {
  panels: Panel[];
  templating: { list: Array<{ query: string }> };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const dashboardExprs = [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  // Grafana's label_values(selector, label): the selector is PromQL, the label is not.
  ...dashboard.templating.list.map((v) => v.query.replace(/^label_values\((.*),\s*\w+\)$/, '$1')),
];

const KEYWORDS = new Set(
  'and or unless bool offset inf nan by without on ignoring group_left group_right'.split(' '),
);

/**
 * The metrics a PromQL expression selects, each with the label names its matchers use. Strings,
 * ranges and grouping lists (`by (le)`, `on (instance)`) are removed first; a name followed by `(`
 * is a function or an aggregation.
 */
function selectors(expr: string): Array<{ metric: string; labels: string[] }> {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const found: Array<{ metric: string; labels: string[] }> = [];
  for (const m of text.matchAll(/(?<![\w.:$])([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?/g)) {
    const [, metric, matchers, call] = m;
    if (call || KEYWORDS.has(metric!.toLowerCase())) continue;
    const labels = [...(matchers ?? '').matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!);
    found.push({ metric: metric!, labels });
  }
  return found;
}

/** What /metrics exports: each metric's type (from `# TYPE`) and label names (from the registry). */
type Exported = Map<string, { type: string; labels: string[] }>;

// Prometheus adds `job` and `instance` to every series, and writes `up` for every target itself.
const TARGET_LABELS = ['job', 'instance'];
const SYNTHETIC: Exported = new Map([['up', { type: 'gauge', labels: [] }]]);

/** Every metric or label the expressions name that is not exported, as "problem (in: expr)". */
function unexported(exprs: string[], exported: Exported): string[] {
  const problems: string[] = [];
  for (const expr of exprs) {
    for (const { metric, labels } of selectors(expr)) {
      const suffix = /_(bucket|sum|count)$/.exec(metric);
      const base = suffix ? metric.slice(0, suffix.index) : metric;
      const series =
        exported.get(metric) ??
        SYNTHETIC.get(metric) ??
        (['histogram', 'summary'].includes(exported.get(base)?.type ?? '') ? exported.get(base) : undefined);
      if (!series) {
        problems.push(`${metric} is not exported (in: ${expr})`);
        continue;
      }
      const known = [...series.labels, ...TARGET_LABELS, ...(suffix?.[1] === 'bucket' ? ['le'] : [])];
      for (const label of labels.filter((l) => !known.includes(l))) {
        problems.push(`${metric} has no label ${label} (in: ${expr})`);
      }
    }
  }
  return [...new Set(problems)];
}

/** GitHub's anchors for the headings of a Markdown file. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((h) =>
      h[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

describe('PromQL selector extraction', () => {
  it('finds metrics and their matchers, not functions, keywords, grouping labels or numbers', () => {
    expect(
      selectors(
        'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="1", y=~"p|q{2}"}[5m]))) > 1e3 ' +
          'and on (instance) max without (z) (b offset 5m) / ignoring(s) group_left c:rule * on (i) group_right d',
      ),
    ).toEqual([
      { metric: 'a_bucket', labels: ['x', 'y'] },
      { metric: 'b', labels: [] },
      { metric: 'c:rule', labels: [] },
      { metric: 'd', labels: [] },
    ]);
  });
});

describe('dashboard and alerts against /metrics', () => {
  let t: TestApp;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let exported: Exported;
  let body: string;

  beforeAll(async () => {
    // Its own database, named as the replica too: a deployment with a replica registers the
    // replica's metrics; the router finds this one is no standby and reads the primary.
    database = await createTestDatabase();
    t = await startTestApp({ env: { DATABASE_URL: database.url, DATABASE_REPLICA_URL: database.url } });
    body = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    exported = new Map(
      [...body.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map(([, name, type]) => {
        const metric = t.platform.metrics.registry.getSingleMetric(name!) as unknown as {
          labelNames?: string[];
        };
        return [name!, { type: type!, labels: metric?.labelNames ?? [] }];
      }),
    );
  });

  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('every metric and label a dashboard panel or variable uses is exported', () => {
    expect(dashboardExprs.length).toBeGreaterThan(20);
    expect(unexported(dashboardExprs, exported)).toEqual([]);
  });

  it('every metric and label an alert uses is exported', () => {
    expect(
      unexported(
        rules.map((r) => r.expr),
        exported,
      ),
    ).toEqual([]);
  });

  it('reports a metric or a label that is not exported', () => {
    expect(
      unexported(
        [
          'sum(rate(booking_attempt_total[5m]))',
          'histogram_quantile(0.95, rate(http_request_duration_seconds_bucket{methd="GET"}[5m]))',
          'job_queue_jobs_bucket',
        ],
        exported,
      ),
    ).toEqual([
      'booking_attempt_total is not exported (in: sum(rate(booking_attempt_total[5m])))',
      'http_request_duration_seconds_bucket has no label methd (in: histogram_quantile(0.95, rate(http_request_duration_seconds_bucket{methd="GET"}[5m])))',
      'job_queue_jobs_bucket is not exported (in: job_queue_jobs_bucket)',
    ]);
  });

  it('the pool reports its size, which the pool panel and DbPoolSaturated divide by', () => {
    expect(body).toMatch(
      new RegExp(`^db_pool_connections\\{state="max"\\} ${t.platform.config.databasePoolMax}$`, 'm'),
    );
  });

  it('outbox lag is how long due rows have waited, not the age of reminders scheduled for later', async () => {
    // A reminder is an outbox row due hours ahead: counted from its creation, OutboxLag would
    // fire for as long as any reminder waits.
    const lag = async () =>
      Number(
        /^outbox_lag_seconds (\S+)$/m.exec((await t.inject({ method: 'GET', url: '/metrics' })).body)?.[1],
      );
    await t.services.outbox.add(t.platform.db, 'observability.later', {}, { delayMs: 86_400_000 });
    t.clock.advance(300_000);
    expect(await lag()).toBe(0);
    await t.services.outbox.add(t.platform.db, 'observability.now', {});
    t.clock.advance(30_000);
    expect(await lag()).toBe(30);
  });

  it('every panel queries the provisioned Prometheus datasource (uid "prometheus")', () => {
    const targets = panels.flatMap((p) => p.targets ?? []);
    const uids = new Set([...panels.map((p) => p.datasource?.uid), ...targets.map((x) => x.datasource.uid)]);
    uids.delete(undefined);
    expect([...uids]).toEqual(['prometheus']);
  });
});

describe('the scrape job', () => {
  it('is the one every job="…" matcher of the dashboard and the rules names', () => {
    const config = parse(read('ops/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string }>;
    };
    const jobs = config.scrape_configs.map((c) => c.job_name);
    const named = [...dashboardExprs, ...rules.map((r) => r.expr)].flatMap((e) =>
      [...e.matchAll(/\bjob\s*=\s*"([^"]*)"/g)].map((m) => m[1]!),
    );
    expect(named.length).toBeGreaterThan(30);
    expect([...new Set(named)].filter((job) => !jobs.includes(job))).toEqual([]);
  });
});

describe('alert rules', () => {
  it('are valid rules, each with a severity, a summary, a description and its runbook', () => {
    const promtool = spawnSync('promtool', ['check', 'rules', path.join(root, RULES_FILE)], {
      encoding: 'utf8',
    });
    // promtool comes with Debian's prometheus package (.ci/run installs it); without it the YAML
    // checks below still hold.
    if (!promtool.error) expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
    expect(rules.length).toBeGreaterThan(10);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(rule.expr, rule.alert).toEqual(expect.any(String));
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toEqual(expect.any(String));
      expect(rule.annotations?.description, rule.alert).toEqual(expect.any(String));
      expect(rule.annotations?.runbook_url, rule.alert).toBe(RUNBOOKS + rule.alert.toLowerCase());
    }
  });

  it('link to a heading of docs/operations.md, one per alert', () => {
    const headings = anchors(read('docs/operations.md'));
    const missing = rules
      .map((r) => r.annotations.runbook_url.slice(RUNBOOKS.length))
      .filter((a) => !headings.has(a));
    expect(missing).toEqual([]);
  });
});
