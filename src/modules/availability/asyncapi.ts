import { z } from 'zod';
import { slotEventSchema, socketHeartbeatSchema, socketReadySchema } from './schemas.ts';

/**
 * The availability socket as an AsyncAPI 3 document, built from the same schemas the socket's
 * messages are typed by (so the two can't drift). Served at /api-docs/asyncapi.json.
 */
export function availabilityAsyncApi(version: string) {
  const payload = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
  const messages = {
    ready: { name: 'ready', title: 'Subscribed', payload: payload(socketReadySchema) },
    slotChanged: {
      name: 'slotChanged',
      title: 'A slot changed or was removed',
      payload: payload(slotEventSchema),
    },
    heartbeat: {
      name: 'heartbeat',
      title: 'Still here (every 25 s)',
      payload: payload(socketHeartbeatSchema),
    },
  };
  const refs = Object.keys(messages).map((name) => ({ $ref: `#/channels/availability/messages/${name}` }));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Amrutam live availability',
      version,
      description:
        'One doctor’s slot changes, pushed as JSON text messages. Unknown or unverified doctor: close code 4404; too many live connections from this address or to this server: 1013 (retry later); server shutting down: 1001 (reconnect). A client that does not answer ping frames is dropped.',
    },
    servers: { api: { host: 'localhost:3000', protocol: 'ws', pathname: '/api/v1' } },
    channels: {
      availability: {
        address: '/ws/availability',
        messages,
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                doctorId: { type: 'string', format: 'uuid', description: 'The doctor to follow' },
              },
              required: ['doctorId'],
            },
          },
        },
      },
    },
    operations: {
      receiveAvailability: {
        action: 'receive',
        channel: { $ref: '#/channels/availability' },
        messages: refs,
      },
    },
  };
}
