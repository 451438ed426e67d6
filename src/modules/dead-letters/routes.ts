import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import {
  cursorSchema,
  idSchema,
  limitSchema,
  metaOf,
  pageOf,
  requireRole,
  utcSchema,
} from '../../http/index.ts';
import type { DeadLetters } from './service.ts';

const deadJob = z
  .object({
    id: z
      .string()
      .meta({ examples: ['0b5f8c1e-3c1a-4e1b-9a57-2f0f6d1c9e10'] })
      .describe('The job id: the outbox row it came from'),
    name: z
      .string()
      .meta({ examples: ['appointment.confirmed'] })
      .describe('The outbox topic'),
    data: z
      .unknown()
      .meta({ examples: [{ appointmentId: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }] })
      .describe('What the job was given (ids and amounts, never PHI)'),
    attempts: z
      .number()
      .int()
      .meta({ examples: [5] }),
    failedReason: z
      .string()
      .meta({ examples: ['confirmed: email not sent (EENVELOPE 550)'] })
      .describe('Why the last try failed'),
    failedAt: utcSchema,
  })
  .meta({ id: 'DeadJob' });

export const deadLetterRoutes: FastifyPluginAsyncZod<{
  deadLetters: DeadLetters;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { deadLetters, mfaRequiredRoles }) => {
  const adminOnly = requireRole(['admin'], { mfaRequiredRoles });
  const common = { tags: ['admin'], security: [{ bearer: [] }] };

  app.get(
    '/admin/jobs/dead',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Dead-letter list: jobs that failed every try, newest first',
        description:
          'A job is tried 5 times (backoff from 500 ms, doubling, with jitter); after the last failure it waits here until an admin retries it.',
        querystring: z.strictObject({ limit: limitSchema, cursor: cursorSchema }),
        response: { 200: pageOf(deadJob) },
      },
    },
    async (request) => deadLetters.list(request.query),
  );

  app.post(
    '/admin/jobs/dead/:id/retry',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'Run a dead job again, with a fresh set of tries (audited)',
        description:
          'Handlers are idempotent: what the job already did (a mail that went out) is not done again. 404 when the id is not on the dead-letter list.',
        params: z.strictObject({ id: idSchema }),
        response: { 204: z.undefined().describe('Queued again') },
      },
    },
    async (request, reply) => {
      await deadLetters.retry(request.params.id, metaOf(request));
      return reply.status(204).send();
    },
  );
};
