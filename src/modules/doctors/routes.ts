import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { idSchema, metaOf, pageOf, requireAuth, requireRole } from '../../http/index.ts';
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
        summary: 'Create or update your doctor profile (the whole of it)',
        description:
          'Fields left out take their defaults. A verified doctor goes back to review (pending) only when `registrationNumber` or `council` changes. A new `timezone` moves the schedule’s open slots to it. `feeMinor` is in paise.',
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
          'Send only what changes. A verified profile goes back to review (pending) only when `registrationNumber` or `council` changes: those are what the admin checked. A new `timezone` moves the schedule’s open slots to it. `feeMinor` is in paise.',
        security: [{ bearer: [] }],
        'x-problems': { 409: ['PROFILE_REQUIRED'] },
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
        'x-problems': { 404: ['NOT_FOUND'] },
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
        response: { 200: pageOf(s.reviewQueueItem) },
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
        'x-problems': { 400: ['INVALID_RANGE'] },
        response: { 200: pageOf(s.doctorSchema) },
      },
    },
    // A ready-made JSON string of the schema's shape, shared by identical searches for a second.
    async (request, reply) =>
      reply.type('application/json').send((await doctors.searchJson(request.query, request.auth)) as never),
  );

  app.get(
    '/doctors/:id',
    {
      schema: {
        tags,
        summary: 'A verified doctor’s profile',
        description: 'Others are 404, except to themselves and admins.',
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
        description:
          'Only verified doctors appear in search and can be booked; a rejected doctor reads `reason`. A registration number (with its council; spacing, punctuation and case aside) belongs to one verified doctor: verifying a second holder is 409 REGISTRATION_NUMBER_TAKEN.',
        security: [{ bearer: [] }],
        'x-problems': { 409: ['REGISTRATION_NUMBER_REQUIRED', 'REGISTRATION_NUMBER_TAKEN'] },
        params: idParams,
        body: s.verifyBody,
        response: { 200: s.doctorSchema },
      },
    },
    async (request) => doctors.verify(request.params.id, request.body, metaOf(request)),
  );
};
