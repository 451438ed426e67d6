import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type Config, ConfigError, loadConfig } from '../../src/config.ts';
import { envSchema } from '../../src/config-env.ts';

/**
 * Reads the deploy files (Dockerfile, compose.yaml, deploy/k8s) the way Docker, compose and
 * Kubernetes would, to tell what each of our containers gets as environment and command, and
 * whether the server would start with it. Nothing runs a container: this machine has no engine.
 */

export const ROOT = path.resolve(import.meta.dirname, '../..');
export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** `dig(pod, 'spec', 'template')`: the value at that path of objects, or undefined. */
export const dig = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce((v, key) => obj(v)[key], value);

/** A container of our image: where it is declared, its environment and its command (undefined: the image's CMD). */
export interface AppContainer {
  where: string;
  env: Record<string, string>;
  command: string[] | undefined;
}
export interface K8sApp extends AppContainer {
  doc: Obj;
  pod: Obj;
  container: Obj;
}

/** Our image, whatever its registry or tag: `amrutam`, `amrutam:local`, `registry.example.com/amrutam:1.2`. */
const isOurImage = (image: unknown) => typeof image === 'string' && /(^|\/)amrutam(:|@|$)/.test(image);

/** Every document of a YAML file (with compose's `<<` merge keys); throws on a syntax error. */
export function readYaml(file: string): unknown[] {
  const text = readFileSync(path.resolve(ROOT, file), 'utf8');
  return parseAllDocuments(text, { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS();
  });
}

/** The YAML files under a folder of the repository, as paths relative to it. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(dir, f))
    .sort();
}

// --- Dockerfile ---

export interface Stage {
  image: string;
  name: string | undefined;
  steps: Array<{ op: string; args: string }>;
}

/** Stages and their instructions, with `\` continuations joined (comment lines inside them dropped). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.replace(/\\\n(?:[ \t]*#.*\n)*/g, ' ').split('\n')) {
    const [, op = '', args = ''] = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line) ?? [];
    if (!op || line.trim().startsWith('#')) continue;
    if (op.toUpperCase() === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/).filter((word) => !word.startsWith('--'));
      stages.push({ image, name: as?.toLowerCase() === 'as' ? name : undefined, steps: [] });
    } else {
      stages.at(-1)?.steps.push({ op: op.toUpperCase(), args: args.trim() });
    }
  }
  return stages;
}

/** The arguments of a stage's instructions of one kind, in order. */
export const argsOf = (stage: Stage, op: string) => stage.steps.filter((s) => s.op === op).map((s) => s.args);

/** CMD/RUN/HEALTHCHECK's command: the exec form (JSON) as is, the shell form through sh. */
export function execForm(args: string): string[] {
  const command = args.replace(/^(--\S+\s+)*CMD\s+/, ''); // HEALTHCHECK's options and keyword
  return command.startsWith('[') ? (JSON.parse(command) as string[]) : ['/bin/sh', '-c', command];
}

/** A stage's ENV, in the `ENV KEY=value KEY2=value2` form (unquoted values). */
export function dockerEnv(stage: Stage): Record<string, string> {
  const pairs = argsOf(stage, 'ENV').flatMap((args) => args.split(/\s+/));
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

// --- compose ---

/** compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$VAR`, `$$`. */
export function interpolate(
  text: string,
  vars: Record<string, string | undefined>,
  missing: string[],
): string {
  return text.replace(
    /\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}|\$(\w+)/g,
    (match, braced?: string, colon?: string, kind?: string, fallback = '', bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = vars[name];
      const unset = value === undefined || (colon === ':' && value === '');
      if (kind === '-' && unset) return fallback;
      if (kind === '?' && unset) missing.push(name);
      return value ?? '';
    },
  );
}

function interpolateTree(
  value: unknown,
  vars: Record<string, string | undefined>,
  missing: string[],
): unknown {
  if (typeof value === 'string') return interpolate(value, vars, missing);
  if (Array.isArray(value)) return value.map((v) => interpolateTree(v, vars, missing));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateTree(v, vars, missing)]));
}

/** `environment:` as a map or a `KEY=value` list; a key without a value passes nothing here. */
function composeEnvironment(environment: unknown): Record<string, string> {
  const entries = Array.isArray(environment)
    ? environment.map((e) => String(e).split(/=(.*)/s).slice(0, 2))
    : Object.entries(obj(environment)).filter(([, v]) => v !== null && v !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [String(k), String(v)]));
}

/**
 * The compose file as compose runs it with the operator's variables (`vars`, its `.env`): every
 * service interpolated, our image's services as app containers, and the `${VAR:?}` left unset.
 */
export function composeApps(file: unknown, vars: Record<string, string | undefined>) {
  const missing: string[] = [];
  const services = obj(dig(interpolateTree(file, vars, missing), 'services'));
  const apps: AppContainer[] = Object.entries(services)
    .filter(([, service]) => isOurImage(obj(service).image))
    .map(([name, service]) => {
      const { environment, command } = obj(service);
      return {
        where: `compose.yaml service ${name}`,
        env: composeEnvironment(environment),
        command: typeof command === 'string' ? command.split(/\s+/) : (command as string[] | undefined),
      };
    });
  return { services, apps, missing: [...new Set(missing)] };
}

// --- Kubernetes ---

const strings = (data: unknown) =>
  Object.fromEntries(Object.entries(obj(data)).map(([k, v]) => [k, String(v)])) as Record<string, string>;

/**
 * Our image's containers in Deployments and Jobs, each with the environment Kubernetes would give
 * it (envFrom ConfigMaps and Secrets, then `env`). `fill` replaces a Secret's value (the template's
 * placeholders by realistic ones); `problems` names references to what the documents don't define.
 */
export function k8sApps(docs: unknown[], fill: (name: string, value: string) => string) {
  const problems: string[] = [];
  const sources = new Map<string, Record<string, string>>();
  for (const doc of docs.map(obj)) {
    const name = dig(doc, 'metadata', 'name');
    if (doc.kind === 'ConfigMap') sources.set(`ConfigMap/${name}`, strings(doc.data));
    if (doc.kind === 'Secret') {
      const decoded = Object.entries(strings(doc.data)).map(([k, v]): [string, string] => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]);
      const values = { ...Object.fromEntries(decoded), ...strings(doc.stringData) };
      sources.set(
        `Secret/${name}`,
        Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fill(k, v)])),
      );
    }
  }
  const apps: K8sApp[] = [];
  for (const doc of docs.map(obj).filter((d) => d.kind === 'Deployment' || d.kind === 'Job')) {
    const pod = obj(dig(doc, 'spec', 'template', 'spec'));
    const containers = arr(pod.containers).map(obj);
    for (const container of containers.filter((c) => isOurImage(c.image))) {
      const where = `${doc.kind} ${dig(doc, 'metadata', 'name')} container ${container.name}`;
      const source = (kind: string, ref: unknown) => {
        const found = sources.get(`${kind}/${obj(ref).name}`);
        if (!found) problems.push(`${where}: no ${kind} named ${obj(ref).name}`);
        return found ?? {};
      };
      const env: Record<string, string> = {};
      for (const from of arr(container.envFrom).map(obj)) {
        Object.assign(
          env,
          from.configMapRef ? source('ConfigMap', from.configMapRef) : source('Secret', from.secretRef),
        );
      }
      for (const entry of arr(container.env).map(obj)) {
        const { configMapKeyRef, secretKeyRef } = obj(entry.valueFrom);
        const [kind, ref] = configMapKeyRef ? ['ConfigMap', configMapKeyRef] : ['Secret', secretKeyRef];
        env[String(entry.name)] =
          entry.value !== undefined ? String(entry.value) : (source(kind, ref)[String(obj(ref).key)] ?? '');
      }
      const command = container.command
        ? [...arr(container.command), ...arr(container.args)].map(String)
        : undefined;
      apps.push({ where, env, command, doc, pod, container });
    }
  }
  return { apps, problems };
}

/**
 * What an operator supplies (compose's `.env`, the Kubernetes Secret), shaped as the server checks
 * it: a real Ed25519 pair, a 32-byte PHI key, URLs. Fresh random values, never real secrets.
 */
export function operatorValues(): Record<string, string> {
  const keys = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const secret = () => randomBytes(24).toString('base64url');
  return {
    POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
    PUBLIC_URL: 'https://amrutam.example.com',
    SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465',
    JWT_PRIVATE_KEY: keys.privateKey,
    JWT_PUBLIC_KEY: keys.publicKey,
    PHI_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    RAZORPAY_KEY_ID: 'rzp_live_0123456789abcd',
    RAZORPAY_KEY_SECRET: secret(),
    PAYMENT_WEBHOOK_SECRET: secret(),
    JITSI_DOMAIN: 'meet.example.com',
    JITSI_APP_SECRET: secret(),
    GRAFANA_ADMIN_PASSWORD: secret(),
    METRICS_TOKEN: secret(),
  };
}

// --- what the server and npm would say ---

/** Read by the C library, not by the server: set in the image, as `npm start` does. */
const PROCESS_VARIABLES = new Set(['MALLOC_ARENA_MAX']);

/** Variables the server doesn't read (a typo such as DATABSE_URL would be silently ignored). */
export function unknownVariables(where: string, env: Record<string, string>): string[] {
  const known = new Set(Object.keys(envSchema.shape));
  return Object.keys(env)
    .filter((name) => !known.has(name) && !PROCESS_VARIABLES.has(name))
    .map((name) => `${where}: ${name} is not a variable the server reads (src/config-env.ts)`);
}

/** The server's configuration for a container: its environment over the image's ENV, as loadConfig reads it. */
export const configOf = (app: AppContainer, imageEnv: Record<string, string>): Config =>
  loadConfig({ ...imageEnv, ...app.env });

/** Unknown variables, then whatever loadConfig refuses (a missing production secret, a bad value). */
export function envProblems(app: AppContainer, imageEnv: Record<string, string>): string[] {
  const problems = unknownVariables(app.where, app.env);
  try {
    configOf(app, imageEnv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map((p) => `${app.where}: ${p}`));
  }
  return problems;
}

/** Files a command runs (`node src/x.ts`) that don't exist, and `npm run` scripts package.json lacks. */
export function commandProblems(where: string, argv: string[]): string[] {
  const scripts = obj(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts);
  const words = argv.flatMap((a) => a.split(/\s+/));
  const problems = words
    .filter((w) => /^[\w./-]+\.ts$/.test(w) && !existsSync(path.join(ROOT, w)))
    .map((w) => `${where}: runs ${w}, which does not exist`);
  words.forEach((w, i) => {
    const script = words[i + 2] ?? '';
    if (w === 'npm' && words[i + 1] === 'run' && !(script in scripts)) {
      problems.push(`${where}: runs npm script ${script}, which package.json lacks`);
    }
  });
  return problems;
}
