import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { AccessToken } from 'livekit-server-sdk';
import type { Clock } from '../../platform/clock.ts';

/** Who joins, to which room, for how long. */
export interface RoomGrant {
  room: string;
  participant: { id: string; name: string; moderator: boolean };
  notBefore: Date;
  expiresAt: Date;
}

/** A video provider: what a participant needs to join one room, only within its window. */
export interface RoomProvider {
  name: 'jitsi' | 'livekit';
  /** The room of an appointment: stable, and not guessable from the appointment id. */
  roomOf(appointmentId: string): string;
  join(grant: RoomGrant): Promise<{ joinUrl: string; token: string }>;
}

export type VideoConfig =
  | { provider: 'jitsi'; domain: string; appId: string }
  | { provider: 'livekit'; url: string; apiKey: string };

const roomName = (secret: string, appointmentId: string) =>
  `amrutam-${createHmac('sha256', secret).update(`room:${appointmentId}`).digest('base64url').slice(0, 22)}`;

/**
 * A Jitsi Meet deployment with token authentication (prosody `token` auth, HS256 with the app
 * secret): the JWT names the room, the participant (moderator: the doctor) and the window
 * (`nbf`/`exp`); the join link carries it.
 */
export function jitsiProvider(
  config: { domain: string; appId: string },
  secret: string,
  clock: Clock,
): RoomProvider {
  const key = new TextEncoder().encode(secret);
  return {
    name: 'jitsi',
    roomOf: (id) => roomName(secret, id),
    async join({ room, participant, notBefore, expiresAt }) {
      const token = await new SignJWT({
        room,
        context: {
          user: {
            id: participant.id,
            name: participant.name,
            moderator: participant.moderator ? 'true' : 'false',
          },
        },
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setAudience('jitsi')
        .setIssuer(config.appId)
        .setSubject(config.domain)
        .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
        .setNotBefore(Math.floor(notBefore.getTime() / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key);
      return { joinUrl: `https://${config.domain}/${room}?jwt=${token}`, token };
    },
  };
}

/**
 * LiveKit: an access token (livekit-server-sdk) for one room and one identity, allowed to join,
 * publish and subscribe, that lives until the window closes. The client connects to `url` with it.
 */
export function livekitProvider(
  config: { url: string; apiKey: string },
  secret: string,
  clock: Clock,
): RoomProvider {
  return {
    name: 'livekit',
    roomOf: (id) => roomName(secret, id),
    async join({ room, participant, expiresAt }) {
      const ttl = Math.max(1, Math.floor((expiresAt.getTime() - clock.now().getTime()) / 1000));
      const token = new AccessToken(config.apiKey, secret, {
        identity: participant.id,
        name: participant.name,
        ttl,
      });
      token.addGrant({
        roomJoin: true,
        room,
        canPublish: true,
        canSubscribe: true,
        canPublishData: true,
        roomAdmin: participant.moderator,
      });
      return { joinUrl: config.url, token: await token.toJwt() };
    },
  };
}
