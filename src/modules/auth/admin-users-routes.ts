import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { roles } from '../../config-env.ts';
import {
  cursorSchema,
  idSchema,
  limitSchema,
  metaOf,
  pageOf,
  requireRole,
  utcSchema,
} from '../../http/index.ts';
import type { AuthService } from './service.ts';

const adminUserSchema = z
  .object({
    id: z.uuid(),
    email: z.string().meta({ examples: ['meera@example.com'] }),
    name: z.string().meta({ examples: ['Meera Iyer'] }),
    role: z.enum(roles),
    status: z.enum(['active', 'suspended']),
    suspension: z
      .object({
        reason: z.string().meta({ examples: ['Repeated abusive messages to doctors'] }),
        since: utcSchema,
      })
      .nullable()
      .describe('The suspension in force, or null'),
    mfaEnabled: z.boolean(),
    createdAt: utcSchema,
  })
  .meta({ id: 'AdminUser', description: 'An account as admins see it' });

const usersQuery = z.strictObject({
  role: z.enum(roles).optional(),
  status: z.enum(['active', 'suspended']).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .meta({ examples: ['meera'] })
    .describe('Prefix of the name or e-mail, any case'),
  limit: limitSchema,
  cursor: cursorSchema,
});

const suspendBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .meta({ examples: ['Repeated abusive messages to doctors'] })
      .describe('Why; other admins read it in GET /admin/users (never sent to the user)'),
  })
  .meta({ id: 'SuspendRequest' });

export const adminUserRoutes: FastifyPluginAsyncZod<{
  auth: AuthService;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { auth, mfaRequiredRoles }) => {
  const adminOnly = requireRole(['admin'], { mfaRequiredRoles });
  const common = { tags: ['admin', 'users'], security: [{ bearer: [] }] };
  const params = z.strictObject({ id: idSchema });

  app.get(
    '/admin/users',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Accounts: by role, status and name/e-mail prefix; newest first',
        querystring: usersQuery,
        response: { 200: pageOf(adminUserSchema) },
      },
    },
    async (request) => auth.listUsers(request.query),
  );

  app.post(
    '/admin/users/:id/suspend',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Suspend an account: it is signed out everywhere within a second (audited)',
        description:
          'Every session of the account ends; its access tokens are refused (`401 ACCOUNT_SUSPENDED`) on every server within a second, and sign-in, MFA and refresh refuse it, until an admin reactivates it. Its appointments stay as they are: cancel them with `POST /appointments/{id}/cancel` (an admin’s cancellation refunds in full).',
        'x-problems': { 409: ['SELF_SUSPENSION', 'ALREADY_SUSPENDED'] },
        params,
        body: suspendBody,
        response: { 200: adminUserSchema },
      },
    },
    async (request) => auth.suspend(request.params.id, request.body.reason, metaOf(request)),
  );

  app.post(
    '/admin/users/:id/reactivate',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Lift an account’s suspension: it may sign in again (audited)',
        description: 'The account signs in afresh: no session from before comes back.',
        'x-problems': { 409: ['NOT_SUSPENDED'] },
        params,
        response: { 200: adminUserSchema },
      },
    },
    async (request) => auth.reactivate(request.params.id, metaOf(request)),
  );
};
