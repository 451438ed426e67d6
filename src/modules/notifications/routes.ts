import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Role } from '../../config.ts';
import { metaOf, requireAuth, requireRole } from '../../http/index.ts';
import { preferencesSchema } from './schemas.ts';
import type { NotificationService } from './service.ts';

const DEFAULTS =
  'Until changed: every e-mail on; SMS reminders on when the account has a phone (`PATCH /me`), other SMS off.';

export const notificationRoutes: FastifyPluginAsyncZod<{
  notifications: NotificationService;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { notifications, mfaRequiredRoles }) => {
  const signedIn = requireRole('any', { mfaRequiredRoles });
  const common = { tags: ['users'], security: [{ bearer: [] }] };

  app.get(
    '/me/notifications',
    {
      preHandler: signedIn,
      schema: {
        ...common,
        summary: 'Own notification preferences',
        description: `What we send you, by channel and category, in your language (\`locale\`). ${DEFAULTS}`,
        response: { 200: preferencesSchema },
      },
    },
    async (request) => notifications.preferences.get(requireAuth(request)),
  );

  app.put(
    '/me/notifications',
    {
      preHandler: signedIn,
      schema: {
        ...common,
        summary: 'Set own notification preferences',
        description: `Every channel and category, each on or off; every later message follows them. ${DEFAULTS}`,
        body: preferencesSchema,
        response: { 200: preferencesSchema },
      },
    },
    async (request) => notifications.preferences.put(requireAuth(request), request.body, metaOf(request)),
  );
};
