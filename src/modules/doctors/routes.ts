import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { idSchema, metaOf, requireAuth, requireRole } from '../../http/index.ts';
import * as s from './schemas.ts';
import type { DoctorService } from './service.ts';

export const doctorRoutes: FastifyPluginAsyncZod<{
  doctors: DoctorService;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { doctors, mfaRequiredRoles }) => {
  const tags = ['doctors'];
  const idParams = z.strictObject({ id: idSchema });

  app.put(
    '/doctors/me',
    {
      preHandler: requireRole(['doctor'], { mfaRequiredRoles }),
      schema: {
        tags,
        summary: 'Create or update your doctor profile',
        security: [{ bearer: [] }],
        body: s.profileBody,
        response: { 200: s.doctorSchema },
      },
    },
    async (request) => doctors.upsertProfile(requireAuth(request), request.body, metaOf(request)),
  );

  app.patch(
    '/doctors/me',
    {
      preHandler: requireRole(['doctor'], { mfaRequiredRoles }),
      schema: {
        tags,
        summary: 'Change some fields of your doctor profile (the others stay)',
        description:
          'Send only what changes. A verified profile goes back to review (pending) only when `registrationNumber` or `council` changes: those are what the admin checked. `feeMinor` is in paise.',
        security: [{ bearer: [] }],
        body: s.profilePatch,
        response: { 200: s.doctorSchema },
      },
    },
    async (request) => doctors.upsertProfile(requireAuth(request), request.body, metaOf(request), true),
  );

  app.get(
    '/doctors/me',
    {
      preHandler: requireRole(['doctor'], { mfaRequiredRoles }),
      schema: {
        tags,
        summary: 'Your own doctor profile, in any review state, with the reviewer’s reason',
        security: [{ bearer: [] }],
        response: { 200: s.ownDoctorSchema },
      },
    },
    async (request) => doctors.own(requireAuth(request).userId),
  );

  app.get(
    '/admin/doctors',
    {
      preHandler: requireRole(['admin'], { mfaRequiredRoles }),
      schema: {
        tags: ['admin', 'doctors'],
        summary: 'Doctors to review: by status, name/e-mail/registration prefix; oldest first',
        security: [{ bearer: [] }],
        querystring: s.reviewQuery,
        response: { 200: z.object({ items: z.array(s.reviewQueueItem), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => doctors.reviewQueue(request.query),
  );

  app.get(
    '/doctors',
    {
      schema: {
        tags,
        summary: 'Search verified doctors',
        description:
          'Filters combine with AND. `q` matches name, bio and specializations (full text, tolerant of typos). `availableOn` is a date in the doctor’s time zone with at least one open, bookable slot. Default sort: relevance with `q`, else rating.',
        querystring: s.searchQuery,
        response: { 200: z.object({ items: z.array(s.doctorSchema), nextCursor: z.string().nullable() }) },
      },
    },
    // A ready-made JSON string of the schema's shape, shared by identical searches for a second.
    async (request, reply) =>
      reply.type('application/json').send((await doctors.searchJson(request.query)) as never),
  );

  app.get(
    '/doctors/:id',
    {
      schema: {
        tags,
        summary: 'A verified doctor’s profile',
        params: idParams,
        response: { 200: s.doctorSchema },
      },
    },
    async (request) => doctors.getVisible(request.params.id, request.auth),
  );

  app.post(
    '/admin/doctors/:id/verify',
    {
      preHandler: requireRole(['admin'], { mfaRequiredRoles }),
      schema: {
        tags: ['admin', 'doctors'],
        summary: 'Verify or reject a doctor',
        security: [{ bearer: [] }],
        params: idParams,
        body: s.verifyBody,
        response: { 200: s.doctorSchema },
      },
    },
    async (request) => doctors.verify(request.params.id, request.body, metaOf(request)),
  );
};
