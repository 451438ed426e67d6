import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { idSchema, metaOf, pageOf, requireAuth, requireRole } from '../../http/index.ts';
import * as s from './schemas.ts';
import type { Reviews } from './service.ts';

export const reviewRoutes: FastifyPluginAsyncZod<{
  reviews: Reviews;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { reviews, mfaRequiredRoles }) => {
  const params = z.strictObject({ id: idSchema });

  app.post(
    '/appointments/:id/review',
    {
      preHandler: requireRole(['patient'], { mfaRequiredRoles }),
      schema: {
        tags: ['appointments'],
        summary: 'Rate a completed consultation (its patient, once)',
        description:
          'The doctor’s average and count change at once. A second review is 409 ALREADY_REVIEWED.',
        security: [{ bearer: [] }],
        'x-problems': { 409: ['INVALID_STATE', 'ALREADY_REVIEWED'] },
        params,
        body: s.reviewBody,
        response: { 201: s.reviewSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await reviews.create(requireAuth(request), request.params.id, request.body, metaOf(request))),
  );

  app.get(
    '/doctors/:id/reviews',
    {
      schema: {
        tags: ['doctors'],
        summary: 'A verified doctor’s reviews, newest first',
        params,
        querystring: s.reviewListQuery,
        response: { 200: pageOf(s.publicReviewSchema) },
      },
    },
    async (request) => reviews.list(request.params.id, request.auth, request.query),
  );
};
