import { createHash } from 'node:crypto';
import { canonicalJson } from '../../platform/canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The columns a hash covers: everything except the chain fields themselves. */
export interface AuditContent {
  id: string;
  occurredAt: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  requestId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** hash(n) = SHA-256 over the canonical row n, its seq and hash(n-1). */
export function chainHash(prevHash: string, seq: number, row: AuditContent): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        seq,
        prevHash,
        id: row.id,
        occurredAt: row.occurredAt.toISOString(),
        actorId: row.actorId,
        actorRole: row.actorRole,
        action: row.action,
        entity: row.entity,
        entityId: row.entityId,
        requestId: row.requestId,
        ip: row.ip,
        details: row.details,
      }),
    )
    .digest('hex');
}
