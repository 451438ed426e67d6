/**
 * Plain node:http requests for the contended and day jobs, which need what autocannon doesn't give:
 * exact per-request latency (from t0, which a round shares), whether the request reused a kept-alive
 * connection, and the body only when the caller wants it (not reading a million success bodies).
 */
import { type Agent, request } from 'node:http';

export interface Reply {
  status: number;
  body: string | null;
  ms: number;
  reused: boolean;
}

export function call(
  agent: Agent,
  base: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | null,
  wantBody: (status: number) => boolean,
  t0 = performance.now(),
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: { ...headers, 'content-length': String(body ? Buffer.byteLength(body) : 0) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] | null = wantBody(status) ? [] : null;
        res.on('data', (c: Buffer) => chunks?.push(c));
        res.on('end', () =>
          resolve({
            status,
            body: chunks ? Buffer.concat(chunks).toString('utf8') : null,
            ms: performance.now() - t0,
            reused: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** The `code` of a JSON error body ('none' without one, 'unparsable' if it is not JSON). */
export const codeOf = (body: string | null) => {
  try {
    return (JSON.parse(body ?? '') as { code?: string }).code ?? 'none';
  } catch {
    return 'unparsable';
  }
};
