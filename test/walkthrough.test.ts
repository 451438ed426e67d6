import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, run, waitForReady } from './helpers/process.ts';

// docs/walkthrough.md, run as a reader runs it: every `<!-- walkthrough -->` sh block, in order, in
// one bash against a fresh embedded server; each block's answer compared with the JSON the page
// shows after it (`<!-- walkthrough-output -->`), and the error codes it names checked against the
// OpenAPI document of the operation it describes. A page that drifts from the product fails here.

interface Step {
  script: string;
  /** The answer the page shows for this block, if any. */
  shown?: unknown;
}

const BLOCK = /<!-- walkthrough(-output)? -->\n```(?:sh|json)\n([\s\S]*?)\n```/g;

function stepsOf(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const [, output, body] of markdown.matchAll(BLOCK)) {
    if (!output) steps.push({ script: body! });
    else if (steps.length > 0 && !('shown' in steps.at(-1)!)) steps.at(-1)!.shown = JSON.parse(body!);
    else throw new Error(`an output block that follows no sh block:\n${body}`);
  }
  return steps;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * Where the real answer differs from the one shown. The page trims: an answer may have more fields,
 * and a list more items, than shown. Ids and instants change every run, so a shown one stands for
 * any of its kind; a shown string ending in `…` stands for any string that starts like it.
 */
function differences(shown: unknown, real: unknown, at = '$'): string[] {
  const differ = [`${at}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(real)}`];
  if (Array.isArray(shown)) {
    if (!Array.isArray(real) || real.length < shown.length) return differ;
    return shown.flatMap((item, i) => differences(item, real[i], `${at}[${i}]`));
  }
  if (shown !== null && typeof shown === 'object') {
    if (real === null || typeof real !== 'object' || Array.isArray(real)) return differ;
    return Object.entries(shown).flatMap(([key, value]) =>
      key in real
        ? differences(value, (real as Record<string, unknown>)[key], `${at}.${key}`)
        : [`${at}.${key}: missing`],
    );
  }
  if (typeof shown === 'string' && typeof real === 'string') {
    if (shown.endsWith('…')) return real.startsWith(shown.slice(0, -1)) ? [] : differ;
    const kind = [UUID, INSTANT].find((pattern) => pattern.test(shown));
    if (kind) return kind.test(real) ? [] : differ;
  }
  return Object.is(shown, real) ? [] : differ;
}

function bash(
  script: string,
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const MARK = '@@walkthrough-block';
const STATE = '@@walkthrough-state';
const markdown = await readFile(path.resolve(import.meta.dirname, '../docs/walkthrough.md'), 'utf8');
const steps = stepsOf(markdown);

let server: Proc;
let dataDir: string;
let api: string;
let result: Awaited<ReturnType<typeof bash>>;
beforeAll(async () => {
  const port = await freePort();
  dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-walkthrough-'));
  server = run('src/server.ts', [], {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com',
    BOOTSTRAP_ADMIN_PASSWORD: 'a long password',
  });
  api = `http://127.0.0.1:${port}/api/v1`;
  await waitForReady(`http://127.0.0.1:${port}/readyz`, server);
  // A line before each block splits the output by block; the state after the last is checked below.
  const script = [
    ...steps.map((step, i) => `printf '\\n${MARK} ${i}\\n'\n${step.script}`),
    `printf '\\n${STATE}\\n'`,
    `jq -cn --arg appointment "$APPOINTMENT_ID" --arg token "$TOKEN" --arg slot "$SLOT_ID" \\
      --arg doctor "$DOCTOR_ID" --arg from "$FROM" --arg to "$TO" '$ARGS.named'`,
  ].join('\n');
  result = await bash(script, { PATH: process.env.PATH ?? '', API: api });
}, 90_000);
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exit;
  await rm(dataDir, { recursive: true, force: true });
});

const outputOf = (i: number) =>
  result.stdout
    .split(new RegExp(`\\n${MARK} ${i}\\n`))[1]!
    .split(new RegExp(`\\n(?:${MARK} \\d+|${STATE})\\n`))[0]!;

describe('docs/walkthrough.md', () => {
  it('has a setup block, then the six patient calls, each with the answer it shows', () => {
    expect(steps.length).toBe(7);
    expect(steps.every((step) => 'shown' in step)).toBe(true);
    const patientCalls = steps.slice(1).flatMap((step) => [...step.script.matchAll(/\bcurl\b/g)]);
    expect(patientCalls).toHaveLength(6);
    expect([...markdown.matchAll(/^### \d\. /gm)]).toHaveLength(6);
  });

  it('runs as written against a fresh server', () => {
    expect(result.status, `${result.stdout}\n${result.stderr}\n${server.output()}`).toBe(0);
  });

  const named = steps.map((step, i) => [i === 0 ? 'the setup' : `call ${i}`, i, step] as const);
  it.each(named)('%s answers what the page shows', (_name, i, step) => {
    const output = outputOf(i);
    expect(differences(step.shown, JSON.parse(output)), output).toEqual([]);
  });

  it('leaves the appointment confirmed and paid, and its slot gone from the open ones', async () => {
    const state = JSON.parse(result.stdout.split(`\n${STATE}\n`)[1]!) as Record<string, string>;
    const headers = { authorization: `Bearer ${state.token}` };
    const appointment = await (await fetch(`${api}/appointments/${state.appointment}`, { headers })).json();
    expect(appointment).toMatchObject({
      status: 'confirmed',
      slotId: state.slot,
      payment: { status: 'captured' },
    });
    const query = new URLSearchParams({ from: state.from!, to: state.to! });
    const slots = (await (await fetch(`${api}/doctors/${state.doctor}/slots?${query}`)).json()) as {
      items: Array<{ id: string }>;
    };
    expect(slots.items.length).toBeGreaterThan(0);
    expect(slots.items.map((s) => s.id)).not.toContain(state.slot);
  });

  it('names only error codes the OpenAPI document declares for each call', async () => {
    const document = (await (await fetch(new URL('/api-docs/openapi.json', api))).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, ProblemResponse> }>>;
    };
    const sections = markdown.split(/^(?=#{2,3} )/m);
    const checked = sections.flatMap((section) => {
      const call = /^### .*`(GET|POST|PUT|PATCH|DELETE) (\/\S+)`/.exec(section);
      if (!call) return [];
      const operation = operationOf(document.paths, call[1]!.toLowerCase(), `/api/v1${call[2]}`);
      return [...section.matchAll(/`(\d{3})\s+([A-Z][A-Z0-9_]+)`/g)].map(([, status, code]) => {
        const declared = operation.responses[status!]?.content?.['application/problem+json']?.['x-codes'];
        return { call: `${call[1]} ${call[2]}`, status, code, declared: declared?.includes(code!) ?? false };
      });
    });
    expect(checked.length).toBeGreaterThan(20);
    expect(checked.filter((c) => !c.declared)).toEqual([]);
  });
});

interface ProblemResponse {
  content?: { 'application/problem+json'?: { 'x-codes'?: string[] } };
}

/** The operation a heading names: its path as written (`/doctors/{id}/slots`) or a concrete one. */
function operationOf(
  paths: Record<string, Record<string, { responses: Record<string, ProblemResponse> }>>,
  method: string,
  written: string,
) {
  const template =
    written in paths
      ? written
      : Object.keys(paths).find((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(written));
  const operation = template ? paths[template]?.[method] : undefined;
  if (!operation) throw new Error(`the OpenAPI document has no ${method} ${written}`);
  return operation;
}
