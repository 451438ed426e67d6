import { Counter, Gauge, type Registry } from 'prom-client';

export type SocketRefusal = 'per_ip' | 'total';

/**
 * How many live availability sockets one process holds (OWASP API4: anyone may open one, no one
 * may open them all). Rules:
 * - at most `maxPerIp` at once from one client address (request.ip: TRUST_PROXY decides whose
 *   address that is) and `maxTotal` in all; one more is refused, and counted by why;
 * - a socket's place is given back once, when it closes, however it closes.
 * The counts are this process's: N instances hold N × maxTotal between them.
 */
export function createSocketLimits(
  { maxPerIp, maxTotal }: { maxPerIp: number; maxTotal: number },
  registry: Registry,
) {
  const perIp = new Map<string, number>();
  let total = 0;
  new Gauge({
    name: 'availability_sockets_open',
    help: 'Live availability WebSockets this process holds',
    registers: [registry],
    collect() {
      this.set(total);
    },
  });
  const refused = new Counter({
    name: 'availability_sockets_refused_total',
    help: 'Availability WebSockets closed at once (1013) by why: per_ip (WS_MAX_PER_IP), total (WS_MAX_CONNECTIONS)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });

  return {
    /** A place for one more socket from `ip`, with the function that gives it back; or why not. */
    admit(ip: string): { release: () => void } | { refused: SocketRefusal } {
      const fromIp = perIp.get(ip) ?? 0;
      const refusal: SocketRefusal | null =
        total >= maxTotal ? 'total' : fromIp >= maxPerIp ? 'per_ip' : null;
      if (refusal) {
        refused.inc({ reason: refusal });
        return { refused: refusal };
      }
      total += 1;
      perIp.set(ip, fromIp + 1);
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          total -= 1;
          const left = (perIp.get(ip) ?? 1) - 1;
          if (left > 0) perIp.set(ip, left);
          else perIp.delete(ip);
        },
      };
    },
  };
}

export type SocketLimits = ReturnType<typeof createSocketLimits>;
