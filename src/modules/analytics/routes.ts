import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Role } from '../../config.ts';
import { requireRole } from '../../http/index.ts';
import * as s from './schemas.ts';
import type { Analytics } from './service.ts';

const RANGE_NOTE = `Days are whole days in \`tz\`, \`from\` to \`to\` inclusive (default: the last ${s.DEFAULT_DAYS}), at most ${s.MAX_DAYS}; everything counts on the day its consultation starts. Read from rollups kept by a background job (and from the read replica when there is one): \`pendingChanges\` says how many changes are not in yet.`;

export const analyticsRoutes: FastifyPluginAsyncZod<{
  analytics: Analytics;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { analytics, mfaRequiredRoles }) => {
  const adminOnly = requireRole(['admin'], { mfaRequiredRoles });
  const common = {
    tags: ['admin', 'analytics'],
    security: [{ bearer: [] }],
    'x-problems': { 400: ['INVALID_RANGE', 'RANGE_TOO_LARGE'] as const },
  };

  app.get(
    '/admin/analytics/overview',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary:
          'Appointments by status and day, revenue, cancellation and no-show rates, lead time, new patients',
        description: RANGE_NOTE,
        querystring: s.overviewQuery,
        response: { 200: s.overviewSchema },
      },
    },
    async (request) => analytics.overview(request.query),
  );

  app.get(
    '/admin/analytics/doctors',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary:
          'Per doctor: slots offered and booked, utilization, outcomes, revenue, rating; top specializations',
        description: `${RANGE_NOTE} Every verified doctor is listed (with zeros when idle), and any other with activity in the range.`,
        querystring: s.doctorsQuery,
        response: { 200: s.doctorsSchema },
      },
    },
    async (request) => analytics.doctors(request.query),
  );

  app.get(
    '/admin/analytics/export.csv',
    {
      preHandler: adminOnly,
      schema: {
        ...common,
        summary: 'The doctor table as CSV, every doctor, streamed',
        description: `The columns of GET /admin/analytics/doctors, in its order. ${RANGE_NOTE}`,
        querystring: s.exportQuery,
        response: { 200: s.csvDocument },
      },
    },
    async (request, reply) => {
      const csv = await analytics.exportCsv(request.query);
      // A stream is piped as it is: the response schema documents it, only objects are serialized.
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${csv.filename}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(csv.lines) as never);
    },
  );
};
