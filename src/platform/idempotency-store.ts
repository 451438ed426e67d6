import { type RawBuilder, sql } from 'kysely';
import { type Db, preparedAs, SqlState, sqlState } from './db/index.ts';

/** One user's key for one intended operation, and what the request carrying it asked for. */
export interface IdempotencyKey {
  userId: string;
  key: string;
  /**
   * Keyed digests of method, path and canonical body (see http/idempotency.ts): the first is
   * stored; a stored one matches the request if it is any of them (keys rotate).
   */
  fingerprints: readonly string[];
}

/** What an operation answered: the rows it produced (`result`) or the refusal it sent (`problem`). */
export interface StoredAnswer {
  status: number;
  kind: 'result' | 'problem';
  /** JSON text: the result's rows (rendered by the route on every reply) or the problem+json body. */
  body: string;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** Refusals stored by one INSERT at most (7 array parameters, whatever the count). */
const REFUSAL_BATCH = 1000;

interface PendingRefusal {
  k: IdempotencyKey;
  answer: StoredAnswer;
  now: Date;
  resolve: (prior: KeyTaken['state'] | null) => void;
  reject: (error: unknown) => void;
}

/** Thrown inside an operation's transaction when its key already has a story; the transaction rolls back. */
export class KeyTaken extends Error {
  readonly state: { kind: 'in_progress' } | { kind: 'mismatch' } | { kind: 'replay'; answer: StoredAnswer };
  constructor(state: KeyTaken['state']) {
    super(`idempotency key ${state.kind}`);
    this.name = 'KeyTaken';
    this.state = state;
  }
}

export interface GateRow {
  free: boolean;
  prior_fingerprint: string | null;
  prior_status: number | null;
  prior_kind: StoredAnswer['kind'] | null;
  prior_body: string | null;
}

/** A second writer of the same key lost at the primary key: its transaction is void. */
export const isKeyCollision = (error: unknown) =>
  sqlState(error) === SqlState.uniqueViolation &&
  (error as { constraint?: string }).constraint === 'idempotency_keys_pkey';

/**
 * Idempotency keys, written in the business transaction with the answer: a key exists only once
 * its operation committed, so a crash never leaves a key without an answer and nothing needs a
 * lease. While an operation runs it holds a transaction-scoped advisory lock on its key (a second
 * request with the key is told it is in progress); the primary key is the final word if two
 * transactions slip past each other.
 */
export function createIdempotencyStore(db: Db) {
  const cutoff = (now: Date) => new Date(now.getTime() - IDEMPOTENCY_TTL_MS);

  /** The live answer stored for the key, if any (one row, its columns null when there is none). */
  const priorSql = (k: IdempotencyKey, now: Date) => sql`
    SELECT prior.fingerprint AS prior_fingerprint, prior.response_status AS prior_status,
           prior.response_kind AS prior_kind, prior.response_body AS prior_body
    FROM (SELECT 1) AS one
    LEFT JOIN idempotency_keys AS prior
      ON prior.user_id = ${k.userId}::uuid AND prior.key = ${k.key}::text AND prior.created_at > ${cutoff(now)}::timestamptz`;

  /** One row: whether this transaction now holds the key (until it ends), and the live answer, if any. */
  const gateSql = (k: IdempotencyKey, now: Date): RawBuilder<unknown> => sql`
    SELECT pg_try_advisory_xact_lock(1, hashtext(${k.userId}::text || ':' || ${k.key}::text)) AS free, p.*
    FROM (${priorSql(k, now)}) AS p`;

  /** The INSERT of an answer (a key older than the TTL still in the table also collides: see `retire`). */
  const saveSql = (
    k: IdempotencyKey,
    status: number,
    kind: StoredAnswer['kind'],
    body: RawBuilder<unknown>,
    now: Date,
  ) => sql`
    INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_kind, response_body, created_at)
    SELECT ${k.userId}::uuid, ${k.key}::text, ${k.fingerprints[0]}::text, ${status}::int, ${kind}::text, body, ${now}::timestamptz
    FROM (${body}) AS answer(body)`;

  /** What a gate row says: nothing yet (go on), or the story the caller must tell instead. */
  function readGate(row: GateRow, k: IdempotencyKey): KeyTaken['state'] | null {
    if (row.prior_status !== null) {
      if (!k.fingerprints.includes(row.prior_fingerprint!)) return { kind: 'mismatch' };
      return {
        kind: 'replay',
        answer: { status: row.prior_status, kind: row.prior_kind!, body: row.prior_body! },
      };
    }
    return row.free ? null : { kind: 'in_progress' };
  }

  /** The key's story outside any transaction (no lock taken). */
  async function find(k: IdempotencyKey, now: Date): Promise<KeyTaken['state'] | null> {
    const { rows } =
      await sql<GateRow>`${preparedAs('find_key')} SELECT true AS free, p.* FROM (${priorSql(k, now)}) AS p`.execute(
        db,
      );
    return readGate(rows[0]!, k);
  }

  /** Removes this key if it is older than the TTL (the hourly job may not have come by yet). */
  async function retire(k: IdempotencyKey, now: Date): Promise<void> {
    await db
      .deleteFrom('idempotency_keys')
      .where('user_id', '=', k.userId)
      .where('key', '=', k.key)
      .where('created_at', '<=', cutoff(now))
      .execute();
  }

  /** One refusal on its own: stored, or the answer already there, or (after a stale row) stored. */
  async function saveOneRefusal(k: IdempotencyKey, answer: StoredAnswer, now: Date) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted =
        await sql`${saveSql(k, answer.status, answer.kind, sql`SELECT ${answer.body}::text`, now)}
        ON CONFLICT (user_id, key) DO NOTHING`.execute(db);
      if (inserted.numAffectedRows === 1n) return null;
      const prior = await find(k, now);
      if (prior) return prior;
      await retire(k, now); // the row in the way is older than the TTL
    }
    throw new Error('idempotency key kept colliding');
  }

  const refusals: PendingRefusal[] = [];
  async function saveRefusals(): Promise<void> {
    const batch = refusals.splice(0, REFUSAL_BATCH);
    if (refusals.length > 0) setImmediate(saveRefusals);
    const column = <T>(f: (r: PendingRefusal) => T) => batch.map(f);
    try {
      const { rows } = await sql<{ user_id: string; key: string }>`
        INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_kind, response_body, created_at)
        SELECT * FROM unnest(${column((r) => r.k.userId)}::uuid[], ${column((r) => r.k.key)}::text[],
          ${column((r) => r.k.fingerprints[0])}::text[], ${column((r) => r.answer.status)}::int[],
          ${column((r) => r.answer.kind)}::text[], ${column((r) => r.answer.body)}::text[],
          ${column((r) => r.now)}::timestamptz[])
        ON CONFLICT (user_id, key) DO NOTHING
        RETURNING user_id, key`.execute(db);
      const stored = new Set(rows.map((r) => `${r.user_id} ${r.key}`));
      for (const r of batch) {
        if (stored.has(`${r.k.userId} ${r.k.key}`)) r.resolve(null);
        else saveOneRefusal(r.k, r.answer, r.now).then(r.resolve, r.reject);
      }
    } catch (error) {
      for (const r of batch) r.reject(error);
    }
  }

  return {
    gateSql,
    saveSql,
    readGate,

    /** First thing inside an operation's transaction: holds the key until commit, or throws KeyTaken. */
    async begin(tx: Db, k: IdempotencyKey, now: Date): Promise<void> {
      const { rows } = await sql<GateRow>`${gateSql(k, now)}`.execute(tx);
      const state = readGate(rows[0]!, k);
      if (state) throw new KeyTaken(state);
    },

    /** Last thing inside the same transaction: the answer commits with the change it describes. */
    async save(tx: Db, k: IdempotencyKey, answer: StoredAnswer, now: Date): Promise<void> {
      await sql`${saveSql(k, answer.status, answer.kind, sql`SELECT ${answer.body}::text`, now)}`.execute(tx);
    },

    find,

    /**
     * After a decided refusal, outside any transaction: it becomes the key's answer unless another
     * request with the key answered first, in which case that answer stands (returned instead).
     * Refusals saved in the same turn of the event loop (a race's losers, answered at once) share
     * one INSERT; a key that collides is then settled on its own.
     */
    saveRefusal(k: IdempotencyKey, answer: StoredAnswer, now: Date): Promise<KeyTaken['state'] | null> {
      return new Promise((resolve, reject) => {
        refusals.push({ k, answer, now, resolve, reject });
        if (refusals.length === 1) setImmediate(saveRefusals);
      });
    },

    retire,

    async expire(now: Date): Promise<number> {
      const result = await db
        .deleteFrom('idempotency_keys')
        .where('created_at', '<=', cutoff(now))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
