/**
 * One run's world, created fresh and removed at the end (bench/README.md, "What one run does"): a
 * temp directory (data dir, logs, job files), a database named after the run (PostgreSQL mode) or
 * the embedded one in the data dir, a Redis key prefix, the seed (migrate and seed-load as child
 * processes, the way an operator runs them), the product's server and worker, and the load driver.
 * cleanup() undoes all of it but the logs, and may run twice (SIGINT, then the run's own finally).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, REDIS_URL, type Sizes } from './config.ts';
import { dropRedisKeys, embeddedQuery, pgQuery, type Query } from './database.ts';
import { type DriverJobInput, n0, note, sleep } from './lib.ts';
import type { ScenarioRecord } from './outcome.ts';
import {
  baseEnv,
  benchEnv,
  children,
  extraServerEnv,
  freePort,
  NODE,
  runToEnd,
  startChild,
  startScript,
  stopChild,
  waitReady,
} from './processes.ts';

export interface Seeded {
  /** Seeded doctors in e-mail order. */
  doctors: Array<{ id: string; name: string }>;
  patients: string[];
  /** Open slots starting in more than two hours, round-robin over the doctors. */
  slots: string[];
}

export class BenchEnvironment {
  readonly embedded: boolean;
  readonly runDir: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly dbName: string;
  readonly dbUrl: URL;
  readonly baseUrl: string;
  readonly serverLog: string;
  readonly workerLog: string;
  /** Stored in the results as `setup`: names, then the seed's command, output and timings. */
  readonly setup: Record<string, unknown>;
  server?: ChildProcess;
  worker?: ChildProcess;
  /** The bare server of ceiling-http, while it runs. */
  bare?: ChildProcess;
  /** The runner's connection; in embedded mode only while the server is not running. */
  db?: Query;
  readonly #redisPrefix: string;
  readonly #productEnv: Record<string, string>;
  readonly #serverEnv: Record<string, string>;
  #dbCreated = false;

  /** Names everything after the run's start (`compact`: 20261122_040948) and this process. */
  static async create(embedded: boolean, compact: string): Promise<BenchEnvironment> {
    const runDir = await mkdtemp(path.join(os.tmpdir(), 'amrutam-bench-'));
    await mkdir(path.join(runDir, 'data'), { recursive: true });
    await mkdir(path.join(runDir, 'logs'), { recursive: true });
    return new BenchEnvironment(embedded, compact, runDir, await freePort());
  }

  private constructor(embedded: boolean, compact: string, runDir: string, port: number) {
    this.embedded = embedded;
    this.runDir = runDir;
    this.dataDir = path.join(runDir, 'data');
    this.logDir = path.join(runDir, 'logs');
    this.dbName = `amrutam_bench_${compact}_${process.pid}`;
    this.dbUrl = new URL(ADMIN_URL);
    this.dbUrl.pathname = `/${this.dbName}`;
    this.#redisPrefix = `amrutam-bench-${compact}-${process.pid}:`;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.#productEnv = {
      ...baseEnv(),
      DATA_DIR: this.dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      // Scaled out: the worker runs the jobs (embedded mode has no worker: the server runs them).
      RUN_JOBS: embedded ? 'true' : 'false',
      DATABASE_POOL_MAX: '20',
      RATE_LIMIT_PER_MINUTE: '1000000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000000',
      ...(embedded
        ? {}
        : { DATABASE_URL: this.dbUrl.toString(), REDIS_URL, REDIS_KEY_PREFIX: this.#redisPrefix }),
    };
    this.#serverEnv = { ...this.#productEnv, PORT: String(port), HOST: '127.0.0.1', ...extraServerEnv() };
    this.serverLog = path.join(this.logDir, 'server.log');
    this.workerLog = path.join(this.logDir, 'worker.log');
    this.setup = { runDir, database: embedded ? 'embedded' : this.dbName, redisPrefix: this.#redisPrefix };
  }

  /** Creates and migrates the database (PostgreSQL), seeds it, and reads the seeded ids. */
  async seed(size: Sizes, patients: number): Promise<Seeded> {
    const seedArgs = [
      'src/cli.ts',
      'seed-load',
      '--doctors',
      String(size.doctors),
      '--patients',
      String(patients),
      '--days',
      String(size.days),
    ];
    let t = performance.now();
    if (!this.embedded) {
      const admin = await pgQuery(ADMIN_URL);
      await admin.rows(`CREATE DATABASE ${this.dbName}`);
      await admin.close();
      this.#dbCreated = true;
      note(`database ${this.dbName}; migrating`);
      await runToEnd(NODE, ['src/cli.ts', 'migrate'], this.#productEnv);
    }
    this.setup.migrateSeconds = (performance.now() - t) / 1000;
    note(`seeding: node ${seedArgs.join(' ')}`);
    t = performance.now();
    const seedOutput = await runToEnd(NODE, seedArgs, this.#productEnv, { showStdout: true });
    this.setup.seed = {
      command: `node ${seedArgs.join(' ')}`,
      output: seedOutput.trim(),
      seconds: (performance.now() - t) / 1000,
    };

    const db = await this.openDb();
    const doctors = await db.rows<{ id: string; name: string }>(
      `SELECT u.id, u.name FROM users AS u JOIN doctors AS d ON d.user_id = u.id
       WHERE u.email LIKE '%@seed.amrutam.test' ORDER BY u.email`,
    );
    const seededPatients = (
      await db.rows<{ id: string }>(
        `SELECT id FROM users WHERE role = 'patient' AND email LIKE '%@seed.amrutam.test' ORDER BY email`,
      )
    ).map((r) => r.id);
    // Each doctor's earliest first, so every consecutive run of slots is spread over all doctors.
    const slots = (
      await db.rows<{ id: string }>(
        `SELECT id FROM (
           SELECT id, doctor_id, row_number() OVER (PARTITION BY doctor_id ORDER BY starts_at) AS k
           FROM slots WHERE status = 'open' AND starts_at > now() + interval '2 hours') AS s
         ORDER BY k, doctor_id`,
      )
    ).map((r) => r.id);
    if (this.embedded) {
      await db.close(); // one process at a time: the server opens it next
      this.db = undefined;
    }
    this.setup.seeded = {
      doctors: doctors.length,
      patients: seededPatients.length,
      bookableSlots: slots.length,
    };
    note(
      `seeded ${n0(doctors.length)} doctors, ${n0(seededPatients.length)} patients, ${n0(slots.length)} bookable slots`,
    );
    return { doctors, patients: seededPatients, slots };
  }

  /** The runner's connection (embedded: only while no server runs). */
  async openDb(): Promise<Query> {
    this.db = this.embedded ? await embeddedQuery(this.dataDir) : await pgQuery(this.dbUrl.toString());
    return this.db;
  }

  /** Starts the server (and the worker, PostgreSQL mode) and waits until it is ready. */
  async startProduct(): Promise<void> {
    const serverArgs = [
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`]
        : []),
      // The heap limits `npm start` runs with, then BENCH_NODE_FLAGS (e.g. --perf-basic-prof for `perf record`).
      ...startScript('start').flags,
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      'src/server.ts',
    ];
    this.server = startChild(serverArgs, { ...startScript('start').env, ...this.#serverEnv }, this.serverLog);
    if (!this.embedded)
      this.worker = startChild(
        [...startScript('worker').flags, 'src/worker.ts'],
        { ...startScript('worker').env, ...this.#productEnv, ...extraServerEnv() },
        this.workerLog,
      );
    await waitReady(`${this.baseUrl}/readyz`, this.server, this.serverLog);
    note(
      `server ready on ${this.baseUrl} (pid ${this.server.pid}${this.worker ? `, worker pid ${this.worker.pid}` : ''})`,
    );
  }

  serverAlive(): boolean {
    return this.server?.exitCode === null && this.server.signalCode === null;
  }

  /** Stops the worker (ceiling-db: nothing else may write); stopProduct() then stops the server. */
  async stopWorker(): Promise<void> {
    await stopChild(this.worker);
    this.worker = undefined;
  }

  async stopProduct(): Promise<void> {
    await this.stopWorker();
    await stopChild(this.server);
  }

  /** Runs one job in the load driver (a child process) and returns its result. */
  async drive<T>(name: string, job: DriverJobInput): Promise<T> {
    const file = path.join(this.runDir, `${name}.job.json`);
    await writeFile(file, JSON.stringify({ ...job, resultFile: `${file}.result.json` }));
    await runToEnd(NODE, ['bench/driver.ts', file], { ...baseEnv(), ...benchEnv() });
    return JSON.parse(await readFile(`${file}.result.json`, 'utf8')) as T;
  }

  /**
   * Lets the worker catch up (audit sealing, outbox relay) for up to maxSeconds, so one scenario's
   * backlog doesn't weigh on the next. Embedded: the database is the server's alone; a short pause.
   */
  async settle(maxSeconds: number): Promise<ScenarioRecord['settle']> {
    const t0 = performance.now();
    if (this.embedded || !this.db) {
      await sleep(1_000);
      return { seconds: 1, backlog: null };
    }
    let backlog: Record<string, number> | null = null;
    for (;;) {
      try {
        const [row] = await this.db.rows<{ unsealed: number; outbox: number }>(
          `SELECT (SELECT count(*)::int FROM audit_logs WHERE seq IS NULL) AS unsealed,
                  (SELECT count(*)::int FROM outbox WHERE sent_at IS NULL AND available_at <= now()) AS outbox`,
        );
        backlog = { unsealedAuditRows: row!.unsealed, dueOutboxRows: row!.outbox };
        if (row!.unsealed === 0 && row!.outbox === 0) break;
      } catch {
        backlog = null;
        await sleep(1_000);
        break;
      }
      if (performance.now() - t0 > maxSeconds * 1000 || !this.worker || this.worker.exitCode !== null) break;
      await sleep(250);
    }
    await sleep(250);
    return { seconds: Math.round((performance.now() - t0) / 100) / 10, backlog };
  }

  async cleanup(): Promise<void> {
    // Load drivers and one-off commands first (nothing of theirs is worth waiting for).
    for (const child of children)
      if (child !== this.server && child !== this.worker && child !== this.bare) child.kill('SIGKILL');
    await stopChild(this.bare, 5_000);
    await stopChild(this.worker);
    await stopChild(this.server);
    for (const child of children) child.kill('SIGKILL');
    await this.db?.close().catch(() => {});
    this.db = undefined;
    if (this.#dbCreated) {
      const admin = await pgQuery(ADMIN_URL);
      await admin
        .rows(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`)
        .catch((e: unknown) => note(String(e)));
      await admin.close();
      this.#dbCreated = false;
    }
    if (!this.embedded)
      await dropRedisKeys(this.#redisPrefix).catch((e: unknown) => note(`redis cleanup: ${e}`));
    // Keep only the logs: the data directory and the job files (ids, up to some MB) go.
    for (const entry of await readdir(this.runDir).catch(() => [] as string[])) {
      if (entry !== 'logs') await rm(path.join(this.runDir, entry), { recursive: true, force: true });
    }
  }
}
