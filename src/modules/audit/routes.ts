import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import {
  assertOrdered,
  cursorSchema,
  decodeCursor,
  idSchema,
  instantOf,
  limitSchema,
  page,
  pageOf,
  requireRole,
  utcSchema,
} from '../../http/index.ts';
import type { AuditLogRow } from '../../platform/db/schema.ts';
import type { AuditService } from './service.ts';

const listQuery = z.strictObject({
  action: z.string().max(100).optional().describe('e.g. appointment.booked'),
  entity: z.string().max(100).optional(),
  entityId: z.string().max(100).optional(),
  actorId: idSchema.optional(),
  from: instantOf('Records at or after this instant').optional(),
  to: instantOf('…and before this one').optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

const auditItem = z
  .object({
    id: z.uuid(),
    seq: z
      .number()
      .int()
      .nullable()
      .meta({ examples: [1041] })
      .describe('Place in the chain; null until sealed'),
    occurredAt: utcSchema,
    actorId: z
      .string()
      .nullable()
      .meta({ examples: ['3f2b8c64-5d1e-4c7a-9b0e-2a6d4f8e1c35'] }),
    actorRole: z
      .string()
      .nullable()
      .meta({ examples: ['patient'] }),
    action: z.string().meta({ examples: ['appointment.booked'] }),
    entity: z.string().meta({ examples: ['appointment'] }),
    entityId: z
      .string()
      .nullable()
      .meta({ examples: ['7c9e6679-7425-40de-944b-e07fc1f90ae7'] }),
    requestId: z
      .string()
      .nullable()
      .meta({ examples: ['5f0c7d3e-8a41-4a0e-9f65-0b9d2c6a1e77'] }),
    ip: z
      .string()
      .nullable()
      .meta({ examples: ['203.0.113.7'] }),
    details: z.record(z.string(), z.unknown()).meta({ examples: [{ status: 'pending_payment' }] }),
    hash: z
      .string()
      .nullable()
      .meta({ examples: ['9f2c…'] })
      .describe('SHA-256 of the row and the previous hash'),
  })
  .meta({ id: 'AuditRecord' });

const verifyResponse = z
  .object({
    ok: z.boolean(),
    checked: z
      .number()
      .int()
      .meta({ examples: [1041] }),
    unsealed: z
      .number()
      .int()
      .meta({ examples: [0] }),
    firstBadSeq: z
      .number()
      .int()
      .nullable()
      .meta({ examples: [null] }),
    reason: z
      .string()
      .nullable()
      .meta({ examples: [null] }),
    checkpoint: z.object({ seq: z.number().int(), at: utcSchema }).nullable(),
  })
  .meta({ id: 'AuditVerification' });

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
        'x-problems': { 400: ['INVALID_RANGE'] },
        response: { 200: pageOf(auditItem) },
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
