import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../../http/index.ts';
import type { DoctorService } from '../doctors/service.ts';
import type { SlotFeed } from './live.ts';
import type { SocketMessage } from './schemas.ts';

const HEARTBEAT_MS = 25_000;

/**
 * WS /api/v1/ws/availability?doctorId= — pushes `{type: 'slot.updated' | 'slot.removed', slot}` for
 * every change to that doctor's slots, from any API instance (pub/sub). The server sends
 * `{type: 'ready'}` once subscribed and `{type: 'heartbeat'}` (plus a ping frame) every 25 s;
 * a client that stops answering pings is dropped. Unknown or unverified doctor: close code 4404.
 * The messages are `SocketMessage` (schemas.ts), documented in OpenAPI and AsyncAPI (asyncapi.ts).
 */
export const availabilitySocket: FastifyPluginAsyncZod<{ feed: SlotFeed; doctors: DoctorService }> = async (
  app,
  { feed, doctors },
) => {
  app.get(
    '/ws/availability',
    {
      websocket: true,
      schema: {
        tags: ['availability'],
        summary: 'Live slot changes of one doctor (WebSocket)',
        description:
          'Upgrade to a WebSocket. Messages: `{type: "ready", doctorId}` once subscribed; `{type: "slot.updated" | "slot.removed", slot}` on every change; `{type: "heartbeat", at}` every 25 s. Close codes: 4404 unknown or unverified doctor, 1001 server shutting down (reconnect).',
        querystring: z.strictObject({ doctorId: idSchema }),
      },
    },
    async (socket, request) => {
      const { doctorId } = request.query;
      try {
        await doctors.getVisible(doctorId, request.auth);
      } catch {
        socket.close(4404, 'doctor not found');
        return;
      }
      const send = (message: SocketMessage) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      };
      const unsubscribe = await feed.subscribe(doctorId, send);
      let alive = true;
      socket.on('pong', () => {
        alive = true;
      });
      const heartbeat = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
        send({ type: 'heartbeat', at: new Date().toISOString() });
      }, HEARTBEAT_MS);
      socket.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
      if (socket.readyState !== socket.OPEN) {
        clearInterval(heartbeat);
        unsubscribe();
        return;
      }
      send({ type: 'ready', doctorId });
    },
  );
};
