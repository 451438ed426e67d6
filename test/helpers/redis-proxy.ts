import { tcpProxy } from './tcp-proxy.ts';

/**
 * A TCP proxy in front of the test Redis that can be frozen: while frozen it keeps every
 * connection open and swallows replies, as a hung Redis (or a black-holed network) would.
 */
export async function redisProxy(target: string) {
  const { hostname, port } = new URL(target);
  const proxy = await tcpProxy({ host: hostname, port: Number(port) });
  return {
    url: `redis://127.0.0.1:${proxy.port}/0`,
    freeze: proxy.freeze,
    thaw: proxy.thaw,
    close: proxy.close,
  };
}
