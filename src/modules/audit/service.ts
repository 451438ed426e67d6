import type { RawBuilder } from 'kysely';
import type { Logger } from 'pino';
import type { Role } from '../../config.ts';
import type { RequestMeta } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { SigningKey } from '../../platform/keys.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { chainHash, GENESIS_HASH } from './chain.ts';
import { type Checkpoint, type CheckpointStore, openCheckpoint, signCheckpoint } from './checkpoints.ts';
import * as repo from './repo.ts';

export interface AuditEntry {
  action: string;
  entity: string;
  entityId?: string | null;
  /** Overrides the request's actor (e.g. a login records the user it identified). */
  actor?: { id: string; role: Role } | null;
  details?: Record<string, unknown>;
}

export interface VerifyReport {
  ok: boolean;
  checked: number;
  unsealed: number;
  firstBadSeq: number | null;
  /** Why it is not ok, for the person reading it at 3 a.m. */
  reason: string | null;
  checkpoint: { seq: number; at: string } | null;
}

const SEAL_BATCH = 500;
const VERIFY_BATCH = 2000;

export interface AuditDeps {
  db: Db;
  clock: Clock;
  signingKey: SigningKey;
  checkpoints: CheckpointStore;
  metrics: Metrics;
  logger: Logger;
}

export function createAuditService(deps: AuditDeps) {
  const { db, clock, signingKey, checkpoints } = deps;

  async function writeCheckpoint(head: { seq: number; hash: string }): Promise<void> {
    await checkpoints.write(
      head.seq,
      await signCheckpoint(signingKey, { ...head, at: clock.now().toISOString() }),
    );
  }

  async function readCheckpoint(): Promise<Checkpoint | null> {
    const jws = await checkpoints.read();
    return jws ? openCheckpoint(signingKey, jws) : null;
  }

  return {
    /**
     * Appends an unsealed audit row inside the caller's transaction (pass the transaction as `db`):
     * it commits or rolls back with the change it describes, and never waits on other writers.
     */
    async record(tx: Db, meta: RequestMeta, entry: AuditEntry): Promise<void> {
      const actor = entry.actor === undefined ? meta.actor : entry.actor;
      await repo.insertAuditRow(tx, {
        occurredAt: clock.now(),
        actorId: actor?.id ?? null,
        actorRole: actor?.role ?? null,
        action: entry.action,
        entity: entry.entity,
        entityId: entry.entityId ?? null,
        requestId: meta.requestId,
        ip: meta.ip,
        details: entry.details ?? {},
      });
    },

    /**
     * The same, for single-statement writes: an INSERT (to use as a data-modifying CTE) of one row
     * per row of `from`, entity id and details computed in SQL from that row.
     */
    recordSql(
      meta: RequestMeta,
      entry: { action: string; entity: string; entityId: RawBuilder<unknown>; details: RawBuilder<unknown> },
      from: RawBuilder<unknown>,
    ): RawBuilder<unknown> {
      return repo.insertRowsSql(
        {
          occurredAt: clock.now(),
          actorId: meta.actor?.id ?? null,
          actorRole: meta.actor?.role ?? null,
          action: entry.action,
          entity: entry.entity,
          entityId: entry.entityId,
          requestId: meta.requestId,
          ip: meta.ip,
          details: entry.details,
        },
        from,
      );
    },

    /** Chains every committed unsealed row, in the order found, each exactly once. */
    async seal(): Promise<{ sealed: number; headSeq: number | null }> {
      let sealed = 0;
      let head: { seq: number; hash: string } | undefined;
      const checkpoint = await readCheckpoint();
      for (;;) {
        const batch = await db.transaction().execute(async (trx) => {
          await repo.takeSealLock(trx);
          // Extending a chain whose tail was cut would bury the evidence under fresh rows: stop instead.
          if (checkpoint && !(await repo.hasSealedRow(trx, checkpoint.seq, checkpoint.hash))) {
            throw new Error(
              `audit chain does not match its signed checkpoint at seq ${checkpoint.seq}; sealing stopped (see GET /api/v1/admin/audit-logs/verify)`,
            );
          }
          const current = await repo.chainHead(trx);
          const rows = await repo.unsealedBatch(trx, SEAL_BATCH);
          let seq = current?.seq ?? 0;
          let prevHash = current?.hash ?? GENESIS_HASH;
          const seals = rows.map((row) => {
            seq += 1;
            const hash = chainHash(prevHash, seq, repo.toContent(row));
            const seal = { id: row.id, seq, prevHash, hash };
            prevHash = hash;
            return seal;
          });
          await repo.writeSeals(trx, seals);
          return { count: seals.length, head: seals.length > 0 ? { seq, hash: prevHash } : current };
        });
        sealed += batch.count;
        head = batch.head;
        if (batch.count < SEAL_BATCH) break;
      }
      if (sealed > 0 && head) {
        deps.metrics.auditSealed.inc(sealed);
        await writeCheckpoint(head);
      }
      return { sealed, headSeq: head?.seq ?? null };
    },

    /** Signs a checkpoint at the chain's head: after rows were sealed in bulk (seed-load's trail). */
    async checkpointHead(): Promise<void> {
      const head = await repo.chainHead(db);
      if (head) await writeCheckpoint(head);
    },

    /**
     * Recomputes the whole chain, in seq order across partitions (archived months included), and
     * compares its head with the signed checkpoint. A restored copy (a backup) ends where its backup
     * was taken: a checkpoint signed later, beyond its last row, is newer than the copy, not a cut tail.
     */
    async verify(options: { restoredCopy?: boolean } = {}): Promise<VerifyReport> {
      const [unsealed, checkpointJws] = await Promise.all([repo.countUnsealed(db), checkpoints.read()]);
      const checkpoint = checkpointJws ? await openCheckpoint(signingKey, checkpointJws) : null;
      const report = (checked: number, firstBadSeq: number | null, reason: string | null): VerifyReport => ({
        ok: firstBadSeq === null && reason === null,
        checked,
        unsealed,
        firstBadSeq,
        reason,
        checkpoint: checkpoint ? { seq: checkpoint.seq, at: checkpoint.at } : null,
      });
      if (checkpointJws && !checkpoint)
        return report(0, null, 'the stored checkpoint does not carry a valid signature');

      let expectedSeq = 1;
      let prevHash = GENESIS_HASH;
      let checked = 0;
      let hashAtCheckpoint: string | undefined;
      const tables = await repo.chainTables(db);
      for (;;) {
        const rows = await repo.sealedAfter(db, tables, expectedSeq - 1, VERIFY_BATCH);
        for (const row of rows) {
          if (row.seq !== expectedSeq) return report(checked, expectedSeq, `row ${expectedSeq} is missing`);
          if (
            row.prev_hash !== prevHash ||
            row.hash !== chainHash(prevHash, expectedSeq, repo.toContent(row))
          ) {
            return report(checked, expectedSeq, `row ${expectedSeq} does not match its hash`);
          }
          if (checkpoint && row.seq === checkpoint.seq) hashAtCheckpoint = row.hash;
          prevHash = row.hash;
          expectedSeq += 1;
          checked += 1;
        }
        if (rows.length < VERIFY_BATCH) break;
      }
      if (!checkpoint && checked > 0) {
        return report(checked, null, 'no signed checkpoint is stored: a cut-off tail could not be detected');
      }
      if (checkpoint && checkpoint.seq >= expectedSeq && !options.restoredCopy) {
        return report(
          checked,
          expectedSeq,
          `rows from ${expectedSeq} to ${checkpoint.seq} were removed (signed checkpoint)`,
        );
      }
      if (checkpoint && checkpoint.seq < expectedSeq && hashAtCheckpoint !== checkpoint.hash) {
        return report(
          checked,
          checkpoint.seq,
          `row ${checkpoint.seq} differs from the signed checkpoint (chain rewritten)`,
        );
      }
      return report(checked, null, null);
    },

    /** The chain's last sealed row and how many rows wait for the sealer (what a backup records). */
    async state(): Promise<{ head: { seq: number; hash: string } | null; unsealed: number }> {
      const head = await repo.chainHead(db);
      return { head: head ?? null, unsealed: await repo.countUnsealed(db) };
    },

    list: (filter: repo.AuditFilter) => repo.listAuditRows(db, filter),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
