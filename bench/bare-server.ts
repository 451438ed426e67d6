/**
 * ceiling-http: a bare Fastify 5 server (same Node binary, same Fastify as the product) with one GET
 * route that answers a constant application/json body — the exact body the product's read-slots
 * answer had in the same run. What one process on this machine can serve at best; the product's
 * read-slots is measured against it.
 *   BENCH_BARE_PORT, BENCH_BARE_BODY_FILE (the body), optional BENCH_BARE_HOST (127.0.0.1)
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = readFileSync(process.env.BENCH_BARE_BODY_FILE ?? '', 'utf8');
const app = Fastify({ logger: false });
app.get('/api/v1/doctors/:id/slots', (_request, reply) => {
  reply.type('application/json; charset=utf-8').send(body);
});

await app.listen({
  port: Number(process.env.BENCH_BARE_PORT ?? 3990),
  host: process.env.BENCH_BARE_HOST ?? '127.0.0.1',
});
process.stdout.write('listening\n');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
