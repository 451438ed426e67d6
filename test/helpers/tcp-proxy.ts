import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port in front of `host:port` (PostgreSQL, Redis…), for faults a
 * real network has:
 * - `freeze`: connections stay open and replies are swallowed, as a hung server or a black-holed
 *   network would (`thaw` lets replies through again; what was swallowed is lost);
 * - `latency`: each chunk, either way, is held this many milliseconds (order kept);
 * - `cut`: every open connection is reset at once (new ones are accepted).
 * A client whose upstream can't be reached is disconnected, as it would be by the server.
 */
export async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let frozen = false;
  let latencyMs = 0;
  /**
   * Writes each chunk to `to` after the current latency, never before an earlier chunk of that
   * direction. Replies (`isReply`) are swallowed while frozen; requests still reach the server.
   */
  const forwarder = (to: Socket, isReply: boolean) => {
    let last: Promise<unknown> = Promise.resolve();
    return (chunk: Buffer) => {
      const delay = latencyMs > 0 ? new Promise((r) => setTimeout(r, latencyMs)) : undefined;
      last = Promise.all([last, delay]).then(() => {
        if (!(isReply && frozen) && !to.destroyed) to.write(chunk);
      });
    };
  };
  const server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    client.on('data', forwarder(upstream, false));
    upstream.on('data', forwarder(client, true));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
    },
    latency: (ms: number) => {
      latencyMs = ms;
    },
    /** Resets every open connection; returns how many pairs were cut. */
    cut(): number {
      const n = sockets.size / 2;
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
      return n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

export type TcpProxy = Awaited<ReturnType<typeof tcpProxy>>;
