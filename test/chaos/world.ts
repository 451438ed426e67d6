/**
 * One chaos run's world, all of it started here and removed by `destroy` (also after a failure):
 * a throwaway PostgreSQL cluster and a redis-server of its own on free loopback ports (never the
 * shared 5432/6379), a TCP proxy in front of each (the product connects through them), a seeded
 * database, two API processes and one worker. Faults act on these processes only.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { mintPatientTokens } from '../../bench/lib.ts';
import {
  baseEnv,
  children,
  NODE,
  runToEnd,
  startChild,
  startScript,
  stopChild,
  tail,
  waitReady,
} from '../../bench/processes.ts';
import type { Db } from '../../src/platform/db/index.ts';
import { type Cluster, startCluster } from '../helpers/pg-cluster.ts';
import { freePort } from '../helpers/process.ts';
import { type TcpProxy, tcpProxy } from '../helpers/tcp-proxy.ts';

export const ADMIN = { email: 'chaos-admin@example.test', password: 'chaos admin password' };
/** Short enough that a run's abandoned holds lapse and are expired before the check. */
export const HOLD_SECONDS = 30;

export interface Seed {
  patients: Array<{ id: string; token: string }>;
  /** Open slots starting in more than two hours, by doctor. */
  slotsByDoctor: Map<string, string[]>;
}

/** A redis-server of the run's own, with an append-only file as production runs it. */
function redisServer(port: number, dir: string) {
  let child: ChildProcess | undefined;
  return {
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
        { stdio: 'ignore' },
      );
      children.add(child);
      const started = child;
      started.once('exit', () => children.delete(started));
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
          probe.on('exit', (code) => resolve(code === 0));
        });
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`redis-server did not start on port ${port}`);
    },
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export class World {
  readonly dir: string;
  readonly cluster: Cluster;
  readonly redis: ReturnType<typeof redisServer>;
  readonly pgProxy: TcpProxy;
  readonly redisProxy: TcpProxy;
  readonly apiPorts: number[];
  readonly apis: Array<ChildProcess | undefined> = [];
  worker: ChildProcess | undefined;
  readonly db: Db;

  private constructor(
    dir: string,
    cluster: Cluster,
    redis: ReturnType<typeof redisServer>,
    proxies: [TcpProxy, TcpProxy],
    apiPorts: number[],
  ) {
    this.dir = dir;
    this.cluster = cluster;
    this.redis = redis;
    [this.pgProxy, this.redisProxy] = proxies;
    this.apiPorts = apiPorts;
    this.db = new Kysely({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: cluster.url('amrutam'), max: 2 }),
      }),
    }) as Db;
  }

  /** Starts the servers and proxies and creates the database; `destroy` undoes it whatever fails later. */
  static async create(): Promise<World> {
    const dir = await mkdtemp(path.join(tmpdir(), 'amrutam-chaos-'));
    await mkdir(path.join(dir, 'logs'));
    await mkdir(path.join(dir, 'data'));
    await mkdir(path.join(dir, 'redis'));
    let cluster: Cluster | undefined;
    let redis: ReturnType<typeof redisServer> | undefined;
    try {
      cluster = await startCluster();
      const admin = new pg.Client({ connectionString: cluster.url('postgres') });
      await admin.connect();
      await admin.query('CREATE DATABASE amrutam');
      await admin.end();
      const redisPort = await freePort();
      redis = redisServer(redisPort, path.join(dir, 'redis'));
      await redis.start();
      const proxies: [TcpProxy, TcpProxy] = [
        await tcpProxy({ host: '127.0.0.1', port: cluster.port }),
        await tcpProxy({ host: '127.0.0.1', port: redisPort }),
      ];
      return new World(dir, cluster, redis, proxies, [await freePort(), await freePort()]);
    } catch (error) {
      await redis?.kill();
      await cluster?.destroy();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get dataDir() {
    return path.join(this.dir, 'data');
  }
  get mailDir() {
    return path.join(this.dataDir, 'outbox-mail');
  }
  baseUrl(i: number) {
    return `http://127.0.0.1:${this.apiPorts[i]}`;
  }
  log(name: string) {
    return path.join(this.dir, 'logs', `${name}.log`);
  }

  /** What every product process gets: the proxies, short holds, limits out of the load's way. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...baseEnv(),
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATA_DIR: this.dataDir,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${this.pgProxy.port}/amrutam`,
      REDIS_URL: `redis://127.0.0.1:${this.redisProxy.port}/0`,
      REDIS_KEY_PREFIX: 'chaos:',
      RUN_JOBS: 'false',
      BOOKING_HOLD_SECONDS: String(HOLD_SECONDS),
      BOOKING_HOLD_COOLDOWN_SECONDS: '0',
      BOOKING_MAX_UPCOMING_PER_DOCTOR: '1000',
      // Every slot can be cancelled with a refund and rescheduled: more of the saga under load.
      CANCELLATION_FULL_REFUND_HOURS: '0',
      RESCHEDULE_CUTOFF_HOURS: '0',
      RATE_LIMIT_PER_MINUTE: '1000000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000000',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ...extra,
    };
  }

  /** Migrates and seeds (as an operator would, with the CLI), then reads the ids the load uses. */
  async seed(doctors: number, patients: number): Promise<Seed> {
    await runToEnd(NODE, ['src/cli.ts', 'migrate'], this.env());
    await runToEnd(
      NODE,
      [
        'src/cli.ts',
        'seed-load',
        '--doctors',
        String(doctors),
        '--patients',
        String(patients),
        '--days',
        '4',
      ],
      this.env(),
    );
    const ids = (
      await this.db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'patient')
        .where('email', 'like', '%@seed.amrutam.test')
        .execute()
    ).map((r) => r.id);
    const slots = await this.db
      .selectFrom('slots')
      .select(['id', 'doctor_id'])
      .where('status', '=', 'open')
      .where('starts_at', '>', new Date(Date.now() + 2 * 3_600_000))
      .orderBy('starts_at')
      .execute();
    const tokens = await mintPatientTokens(this.dataDir, ids);
    const slotsByDoctor = new Map<string, string[]>();
    for (const s of slots) slotsByDoctor.set(s.doctor_id, [...(slotsByDoctor.get(s.doctor_id) ?? []), s.id]);
    return { patients: ids.map((id, i) => ({ id, token: tokens[i]! })), slotsByDoctor };
  }

  async startApi(i: number): Promise<void> {
    const { env, flags } = startScript('start');
    const child = startChild(
      [...flags, 'src/server.ts'],
      { ...env, ...this.env({ PORT: String(this.apiPorts[i]), HOST: '127.0.0.1' }) },
      this.log(`api${i}`),
    );
    this.apis[i] = child;
    await waitReady(`${this.baseUrl(i)}/readyz`, child, this.log(`api${i}`));
  }

  async startWorker(): Promise<void> {
    const { env, flags } = startScript('worker');
    this.worker = startChild([...flags, 'src/worker.ts'], { ...env, ...this.env() }, this.log('worker'));
  }

  /** `kill -9`: no drain, no goodbye. */
  async kill(child: ChildProcess | undefined): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** The last lines of every product log, for a report that failed. */
  async logTails(lines = 12): Promise<string> {
    const files = await readdir(path.join(this.dir, 'logs')).catch(() => [] as string[]);
    const parts = await Promise.all(
      files.map(async (f) => {
        const text = await tail(path.join(this.dir, 'logs', f), lines);
        return `--- ${f}\n${text
          .split('\n')
          .map((l) => l.slice(0, 400))
          .join('\n')}`;
      }),
    );
    return parts.join('\n');
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.apis, this.worker].map((c) => stopChild(c, 10_000)));
    for (const child of children) child.kill('SIGKILL');
    await this.db.destroy().catch(() => {});
    await this.pgProxy.close();
    await this.redisProxy.close();
    await this.redis.kill();
    await this.cluster.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
