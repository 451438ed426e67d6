import { type RawBuilder, sql } from 'kysely';
import { type Db, preparedAs } from '../../platform/db/index.ts';
import { archivedPartitions } from '../../platform/db/partitions.ts';
import type { AuditLogRow } from '../../platform/db/schema.ts';
import type { AuditContent } from './chain.ts';

// Arbitrary constant: the key of the transaction-scoped advisory lock that makes sealing single-file.
export const SEAL_LOCK_KEY = 7_211_642_001;

export type NewAuditRow = Omit<AuditContent, 'id'>;

export async function insertAuditRow(db: Db, row: NewAuditRow): Promise<void> {
  await db
    .insertInto('audit_logs')
    .values({
      occurred_at: row.occurredAt,
      actor_id: row.actorId,
      actor_role: row.actorRole,
      action: row.action,
      entity: row.entity,
      entity_id: row.entityId,
      request_id: row.requestId,
      ip: row.ip,
      details: JSON.stringify(row.details),
    })
    .execute();
}

/**
 * For single-statement writes: an INSERT of one audit row per row of `from` (a CTE and its alias),
 * with entity id and details computed from that row.
 */
export function insertRowsSql(
  row: Omit<NewAuditRow, 'entityId' | 'details'> & {
    entityId: RawBuilder<unknown>;
    details: RawBuilder<unknown>;
  },
  from: RawBuilder<unknown>,
): RawBuilder<unknown> {
  return sql`
    INSERT INTO audit_logs (occurred_at, actor_id, actor_role, action, entity, entity_id, request_id, ip, details)
    SELECT ${row.occurredAt}::timestamptz, ${row.actorId}::uuid, ${row.actorRole}::text, ${row.action}::text,
           ${row.entity}::text, ${row.entityId}, ${row.requestId}::text, ${row.ip}::text, ${row.details}
    FROM ${from}`;
}

export function toContent(row: AuditLogRow): AuditContent {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    actorId: row.actor_id,
    actorRole: row.actor_role,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    requestId: row.request_id,
    ip: row.ip,
    details: row.details,
  };
}

/** Waits for any other sealer's transaction to finish; released at commit or rollback. */
export async function takeSealLock(trx: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${SEAL_LOCK_KEY})`.execute(trx);
}

// The sealer's reads run every second: named prepared statements, planned once per connection.
// audit_logs is partitioned by month (migration 0011), and none of them can name a month, so
// planning each anew would cost more than running it. Columns are named: a prepared statement's
// result may not change shape under it.

export async function chainHead(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  const { rows } = await sql<{ seq: number; hash: string }>`${preparedAs('audit_chain_head')}
    SELECT seq, hash FROM audit_logs WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`.execute(db);
  return rows[0];
}

export async function hasSealedRow(db: Db, seq: number, hash: string): Promise<boolean> {
  const { rows } = await sql<{ hash: string }>`${preparedAs('audit_sealed_row')}
    SELECT hash FROM audit_logs WHERE seq = ${seq}`.execute(db);
  return rows[0]?.hash === hash;
}

export async function unsealedBatch(db: Db, limit: number): Promise<AuditLogRow[]> {
  const { rows } = await sql<AuditLogRow>`${preparedAs('audit_unsealed')}
    SELECT id, seq, occurred_at, actor_id, actor_role, action, entity, entity_id, request_id, ip, details, prev_hash, hash
    FROM audit_logs WHERE seq IS NULL ORDER BY occurred_at, id LIMIT ${limit}`.execute(db);
  return rows;
}

export async function writeSeals(
  db: Db,
  seals: Array<{ id: string; seq: number; prevHash: string; hash: string }>,
): Promise<void> {
  if (seals.length === 0) return;
  const values = sql.join(seals.map((s) => sql`(${s.id}::uuid, ${s.seq}::bigint, ${s.prevHash}, ${s.hash})`));
  await sql`
    UPDATE audit_logs AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
    FROM (VALUES ${values}) AS v(id, seq, prev_hash, hash)
    WHERE a.id = v.id AND a.seq IS NULL`.execute(db);
}

/**
 * Where the chain's rows are: audit_logs, and the months retention detached into schema archive
 * (platform/db/partitions.ts), which stay part of the chain.
 */
export async function chainTables(db: Db): Promise<string[]> {
  return ['audit_logs', ...(await archivedPartitions(db, 'audit_logs'))];
}

/** Sealed rows after `afterSeq`, in seq order, wherever they are. */
export async function sealedAfter(
  db: Db,
  tables: string[],
  afterSeq: number,
  limit: number,
): Promise<AuditLogRow[]> {
  const branches = tables.map((t) => sql`SELECT * FROM ${sql.table(t)} WHERE seq > ${afterSeq}`);
  const { rows } =
    await sql<AuditLogRow>`${sql.join(branches, sql` UNION ALL `)} ORDER BY seq LIMIT ${limit}`.execute(db);
  return rows;
}

export async function countUnsealed(db: Db): Promise<number> {
  const row = await db
    .selectFrom('audit_logs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('seq', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface AuditFilter {
  action?: string | undefined;
  entity?: string | undefined;
  entityId?: string | undefined;
  actorId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  before?: { occurredAt: Date; id: string } | undefined;
}

/** Newest first, keyset-paginated on (occurred_at, id). */
export function listAuditRows(db: Db, f: AuditFilter): Promise<AuditLogRow[]> {
  let q = db
    .selectFrom('audit_logs')
    .selectAll()
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.entity) q = q.where('entity', '=', f.entity);
  if (f.entityId) q = q.where('entity_id', '=', f.entityId);
  if (f.actorId) q = q.where('actor_id', '=', f.actorId);
  if (f.from) q = q.where('occurred_at', '>=', f.from);
  if (f.to) q = q.where('occurred_at', '<', f.to);
  if (f.before) {
    const { occurredAt, id } = f.before;
    q = q.where((eb) =>
      eb.or([
        eb('occurred_at', '<', occurredAt),
        eb.and([eb('occurred_at', '=', occurredAt), eb('id', '<', id)]),
      ]),
    );
  }
  return q.execute();
}
