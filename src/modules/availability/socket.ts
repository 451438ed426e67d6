import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, idSchema } from '../../http/index.ts';
import type { DoctorService } from '../doctors/service.ts';
import type { SlotFeed } from './live.ts';
import type { SocketMessage } from './schemas.ts';
import type { SocketLimits } from './socket-limits.ts';

const HEARTBEAT_MS = 25_000;

/**
 * WS /api/v1/ws/availability?doctorId= — pushes `{type: 'slot.updated' | 'slot.removed', slot}` for
 * every change to that doctor's slots, from any API instance (pub/sub). The server sends
 * `{type: 'ready'}` once subscribed and `{type: 'heartbeat'}` (plus a ping frame) every 25 s;
 * a client that stops answering pings is dropped. Unknown or unverified doctor: close code 4404;
 * over the address's or the process's share of sockets (socket-limits.ts): 1013, try again later.
 * The messages are `SocketMessage` (schemas.ts), documented in OpenAPI and AsyncAPI (asyncapi.ts).
 */
export const availabilitySocket: FastifyPluginAsyncZod<{
  feed: SlotFeed;
  doctors: DoctorService;
  limits: SocketLimits;
}> = async (app, { feed, doctors, limits }) => {
  app.route({
    method: 'GET',
    url: '/ws/availability',
    schema: {
      tags: ['availability'],
      summary: 'Live slot changes of one doctor (WebSocket)',
      description:
        'Upgrade to a WebSocket. Messages: `{type: "ready", doctorId}` once subscribed; `{type: "slot.updated" | "slot.removed", slot}` on every change; `{type: "heartbeat", at}` every 25 s. Close codes: 4404 unknown or unverified doctor, 1013 too many live connections from this address or to this server (WS_MAX_PER_IP, WS_MAX_CONNECTIONS: retry later), 1001 server shutting down (reconnect).',
      querystring: z.strictObject({ doctorId: idSchema }),
      'x-problems': { 426: ['UPGRADE_REQUIRED'] },
    },
    // A plain GET (no Upgrade) gets a problem like any other answer, not an empty 404.
    handler: async () => {
      throw new AppError(426, 'UPGRADE_REQUIRED', 'Open this address as a WebSocket (Upgrade: websocket)');
    },
    wsHandler: async (socket, request) => {
      // Counted before anything awaits, so a burst of upgrades can't slip past the cap together.
      const place = limits.admit(request.ip);
      if ('refused' in place) {
        socket.close(1013, 'too many live connections; try again later');
        return;
      }
      socket.once('close', place.release);
      // Validated by the querystring schema (wsHandler's request isn't typed from it).
      const { doctorId } = request.query as { doctorId: string };
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
  });
};
