import type { FastifyRequest } from 'fastify';
import type { Role } from '../config.ts';

/** Who did something and from where; built by the HTTP layer, carried by services into audit records. */
export interface RequestMeta {
  actor: { id: string; role: Role } | null;
  requestId: string | null;
  ip: string | null;
}

export const SYSTEM: RequestMeta = { actor: null, requestId: null, ip: null };

export function metaOf(request: FastifyRequest): RequestMeta {
  return {
    actor: request.auth ? { id: request.auth.userId, role: request.auth.role } : null,
    requestId: request.id,
    ip: request.ip,
  };
}
