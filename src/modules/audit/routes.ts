import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import {
  assertOrdered,
  cursorSchema,
  decodeCursor,
  idSchema,
  instantSchema,
  limitSchema,
  page,
  requireRole,
} from '../../http/index.ts';
import type { AuditLogRow } from '../../platform/db/schema.ts';
import type { AuditService } from './service.ts';

const listQuery = z.strictObject({
  action: z.string().max(100).optional(),
  entity: z.string().max(100).optional(),
  entityId: z.string().max(100).optional(),
  actorId: idSchema.optional(),
  from: instantSchema.optional().describe('Records at or after this instant'),
  to: instantSchema.optional().describe('…and before this one'),
  limit: limitSchema,
  cursor: cursorSchema,
});

const auditItem = z.object({
  id: z.uuid(),
  seq: z.number().int().nullable(),
  occurredAt: z.string(),
  actorId: z.string().nullable(),
  actorRole: z.string().nullable(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  hash: z.string().nullable(),
});

const verifyResponse = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  unsealed: z.number().int(),
  firstBadSeq: z.number().int().nullable(),
  reason: z.string().nullable(),
  checkpoint: z.object({ seq: z.number().int(), at: z.string() }).nullable(),
});

const cursorShape = z.object({ t: z.iso.datetime(), id: z.uuid() });

const toItem = (r: AuditLogRow) => ({
  id: r.id,
  seq: r.seq,
  occurredAt: r.occurred_at.toISOString(),
  actorId: r.actor_id,
  actorRole: r.actor_role,
  action: r.action,
  entity: r.entity,
  entityId: r.entity_id,
  requestId: r.request_id,
  ip: r.ip,
  details: r.details,
  hash: r.hash,
});

export const auditRoutes: FastifyPluginAsyncZod<{
  audit: AuditService;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { audit, mfaRequiredRoles }) => {
  const adminOnly = requireRole(['admin'], { mfaRequiredRoles });
  const common = { tags: ['admin', 'audit'], security: [{ bearer: [] }] };

  app.get(
    '/admin/audit-logs',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Audit trail, newest first',
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(auditItem), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const q = request.query;
      const after = decodeCursor(q.cursor, cursorShape);
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      assertOrdered({ name: 'from', value: from }, { name: 'to', value: to });
      const rows = await audit.list({
        action: q.action,
        entity: q.entity,
        entityId: q.entityId,
        actorId: q.actorId,
        from,
        to,
        limit: q.limit + 1,
        before: after ? { occurredAt: new Date(after.t), id: after.id } : undefined,
      });
      return page(rows, q.limit, toItem, (r) => ({ t: r.occurred_at.toISOString(), id: r.id }));
    },
  );

  app.get(
    '/admin/audit-logs/verify',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Recompute the hash chain and check the signed checkpoint',
        response: { 200: verifyResponse },
      },
    },
    async () => audit.verify(),
  );

  app.post(
    '/admin/audit-logs/seal',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Seal pending audit rows now',
        response: { 200: z.object({ sealed: z.number().int(), headSeq: z.number().int().nullable() }) },
      },
    },
    async () => audit.seal(),
  );
};
