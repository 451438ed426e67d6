import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { Manifest } from './format.ts';

/**
 * What a database holds, as a backup records it and the drill reads it back from a restored copy,
 * and how the two are compared.
 *
 * Invariants:
 * - Every table of the schema is counted (partitioned tables once, as their parent), whatever
 *   migrations added it: the drill needs no list to keep up to date.
 * - Read in one snapshot (the caller's transaction), the manifest is the database at one instant.
 */

/** The audit chain's state as its service reads it (see modules/audit/service.ts). */
export interface AuditState {
  head: { seq: number; hash: string } | null;
  unsealed: number;
}

async function tablesOf(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname`.execute(db);
  return rows.map((r) => r.name);
}

export async function takeManifest(db: Db, audit: (db: Db) => Promise<AuditState>): Promise<Manifest> {
  const names = await tablesOf(db);
  const tables: Record<string, number> = {};
  for (const name of names) {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(name)}`.execute(db);
    tables[name] = Number(rows[0]!.n);
  }
  const migrations = names.includes('kysely_migration')
    ? (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)).rows.map(
        (r) => r.name,
      )
    : [];
  const installId = names.includes('install_identity')
    ? ((await sql<{ id: string }>`SELECT id::text AS id FROM install_identity`.execute(db)).rows[0]?.id ??
      null)
    : null;
  return {
    installId,
    migrations,
    tables,
    audit: names.includes('audit_logs') ? await audit(db) : { head: null, unsealed: 0 },
  };
}

/** The audit chain verified on the restored copy, and on the source now. */
export interface ChainResults {
  copy: { ok: boolean; checked: number; reason: string | null };
  source: { ok: boolean; reason: string | null };
}

export interface Comparison {
  migrations: { current: boolean; missing: string[]; unknown: string[] };
  tables: Array<{ name: string; expected: number | null; found: number | null }>;
  differences: string[];
}

/**
 * The restored copy against what the source held when the backup was taken, the migrations this
 * code knows, and the audit chain's verification on both: each difference in one line.
 */
export function compare(
  expected: Manifest,
  found: Manifest,
  migrationsInCode: readonly string[],
  chains: ChainResults,
): Comparison {
  const differences: string[] = [];
  const missing = migrationsInCode.filter((m) => !found.migrations.includes(m));
  const unknown = found.migrations.filter((m) => !migrationsInCode.includes(m));
  if (missing.length > 0) differences.push(`migrations: the copy lacks ${missing.join(', ')}`);
  if (unknown.length > 0)
    differences.push(`migrations: the copy has ${unknown.join(', ')}, unknown to this code`);

  const names = [...new Set([...Object.keys(expected.tables), ...Object.keys(found.tables)])].sort();
  const tables = names.map((name) => ({
    name,
    expected: expected.tables[name] ?? null,
    found: found.tables[name] ?? null,
  }));
  for (const t of tables) {
    if (t.expected === t.found) continue;
    if (t.expected === null) differences.push(`table ${t.name}: in the copy, not in the source`);
    else if (t.found === null) differences.push(`table ${t.name}: missing from the copy`);
    else differences.push(`table ${t.name}: ${t.found} rows in the copy, ${t.expected} in the source`);
  }
  if (found.installId !== expected.installId) {
    differences.push(`install id: ${found.installId} in the copy, ${expected.installId} in the source`);
  }

  const head = (a: Manifest['audit']) => (a.head ? `seq ${a.head.seq} (${a.head.hash})` : 'empty');
  if (head(found.audit) !== head(expected.audit)) {
    differences.push(
      `audit chain head: ${head(found.audit)} in the copy, ${head(expected.audit)} in the source`,
    );
  }
  if (found.audit.unsealed !== expected.audit.unsealed) {
    differences.push(
      `audit rows awaiting the sealer: ${found.audit.unsealed} in the copy, ${expected.audit.unsealed} in the source`,
    );
  }
  if (!chains.copy.ok) differences.push(`audit chain of the copy does not verify: ${chains.copy.reason}`);
  else if (chains.copy.checked !== (expected.audit.head?.seq ?? 0)) {
    differences.push(
      `audit chain of the copy: ${chains.copy.checked} rows verified, ${expected.audit.head?.seq ?? 0} sealed in the source`,
    );
  }
  if (chains.source.ok !== chains.copy.ok) {
    differences.push(
      `audit chain verifies on the ${chains.source.ok ? 'source' : 'copy'} only${
        chains.source.ok ? '' : ` (source: ${chains.source.reason})`
      }`,
    );
  }
  return {
    migrations: { current: missing.length === 0 && unknown.length === 0, missing, unknown },
    tables,
    differences,
  };
}
