import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { idSchema, metaOf, requireAuth, requireRole, utcSchema } from '../../http/index.ts';
import type { Rooms } from './service.ts';

const roomSchema = z
  .object({
    provider: z.enum(['jitsi', 'livekit']),
    roomName: z.string().meta({ examples: ['amrutam-3kQ9vX0bT1mZ7yR2wP5sLd'] }),
    joinUrl: z
      .string()
      .meta({
        examples: ['https://meet.jit.si/amrutam-3kQ9vX0bT1mZ7yR2wP5sLd?jwt=eyJhbGciOiJIUzI1NiJ9.e30.c2ln'],
      })
      .describe('Jitsi: open this link. LiveKit: the server URL to connect to with `token`'),
    token: z
      .string()
      .meta({ examples: ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln'] })
      .describe('A JWT for this room and this participant only, valid until `expiresAt`'),
    expiresAt: utcSchema.describe('When the room closes (30 minutes after the end by default)'),
  })
  .meta({ id: 'Room' });

export const roomRoutes: FastifyPluginAsyncZod<{ rooms: Rooms; mfaRequiredRoles: readonly Role[] }> = async (
  app,
  { rooms, mfaRequiredRoles },
) => {
  app.get(
    '/appointments/:id/room',
    {
      preHandler: requireRole(['patient', 'doctor'], { mfaRequiredRoles }),
      schema: {
        tags: ['appointments'],
        summary: 'Join the video room (the two parties, around the appointment’s time)',
        description:
          'From 15 minutes before the start to 30 minutes after the end (configurable); outside it, 403 ROOM_NOT_OPEN with `opensAt` and `closesAt`. Only for confirmed or running consultations. Anyone but the patient and the doctor: 404.',
        security: [{ bearer: [] }],
        'x-problems': { 403: ['ROOM_NOT_OPEN'], 409: ['INVALID_STATE'] },
        params: z.strictObject({ id: idSchema }),
        response: { 200: roomSchema },
      },
    },
    async (request) => rooms.join(requireAuth(request), request.params.id, metaOf(request)),
  );
};
