/**
 * The chaos load: virtual patients over HTTP against the API processes, each in a loop of book →
 * pay (sandbox), pay after a failed try, cancel, reschedule, or walk away (the hold lapses). Every
 * request is one entry of the history, with when it started and ended (ms since the load began)
 * and its outcome:
 * - `ok`: a 2xx — the client was told it happened;
 * - `fail`: a 4xx — the client was told it did not (a stored 409 is a decided "no");
 * - `unknown`: a 5xx, a client-side timeout or a lost connection — it may or may not have happened.
 * Like a real client, a patient retries an unknown or transient answer with the same
 * Idempotency-Key (after Retry-After), on the other instance if its own is gone (a load balancer).
 */
import { randomUUID } from 'node:crypto';
import type { Seed } from './world.ts';

export type Kind = 'book' | 'pay' | 'pay-fail' | 'cancel' | 'reschedule';
export type Outcome = 'ok' | 'fail' | 'unknown';

export interface Op {
  kind: Kind;
  patientId: string;
  /** Idempotency-Key (the sandbox payment route takes none). */
  key: string | null;
  /** The appointment it acts on (book: the one it created, when told). */
  appointmentId: string | null;
  slotId: string | null;
  requestId: string;
  api: number;
  start: number;
  end: number;
  outcome: Outcome;
  /** 0 when no answer came. */
  status: number;
  code: string | null;
  retryAfter: string | null;
  /** What went wrong without an answer ('timeout', the socket error). */
  error: string | null;
  /** A payment's answer: what the money did (`captured`, `refunded_late`…). */
  paymentOutcome: string | null;
}

/** No answer within this is a hang (the expectation is that none happens). */
const REQUEST_TIMEOUT_MS = 10_000;
const RETRIES = 4;
/** Conflicts that say "not now", not "no": retried with the same key. */
const TRANSIENT = new Set(['IDEMPOTENCY_IN_PROGRESS', 'CONCURRENT_UPDATE']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

export interface Load {
  history: Op[];
  /** Stops starting new journeys and resolves once every patient has finished its request. */
  stop(): Promise<void>;
  /** ms since the load began. */
  now(): number;
}

export function startLoad(opts: { seed: Seed; baseUrls: string[]; patients: number }): Load {
  const t0 = performance.now();
  const now = () => Math.round(performance.now() - t0);
  const history: Op[] = [];
  let stopping = false;
  const doctors = [...opts.seed.slotsByDoctor.keys()];
  let turn = 0;

  async function request(
    patient: { id: string; token: string },
    op: Pick<Op, 'kind' | 'key' | 'appointmentId' | 'slotId'>,
    method: string,
    url: string,
    body: unknown,
    api: number,
  ): Promise<{ entry: Op; json: Record<string, unknown> | null }> {
    const requestId = randomUUID();
    const entry: Op = {
      ...op,
      patientId: patient.id,
      requestId,
      api,
      start: now(),
      end: 0,
      outcome: 'unknown',
      status: 0,
      code: null,
      retryAfter: null,
      error: null,
      paymentOutcome: null,
    };
    history.push(entry);
    let json: Record<string, unknown> | null = null;
    try {
      const res = await fetch(`${opts.baseUrls[api]}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${patient.token}`,
          'x-request-id': requestId,
          ...(op.key ? { 'idempotency-key': op.key } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      entry.status = res.status;
      entry.retryAfter = res.headers.get('retry-after');
      const text = await res.text();
      json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
      entry.code = typeof json?.code === 'string' ? json.code : null;
      entry.paymentOutcome = typeof json?.outcome === 'string' ? json.outcome : null;
      entry.outcome = res.status < 400 ? 'ok' : res.status < 500 ? 'fail' : 'unknown';
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      entry.error = e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message);
    }
    entry.end = now();
    return { entry, json };
  }

  /** One intended operation: retried with the same key while the answer is unknown or transient. */
  async function attempt(
    patient: { id: string; token: string },
    op: Pick<Op, 'kind' | 'key' | 'appointmentId' | 'slotId'>,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<Record<string, unknown> | null> {
    let api = turn++ % opts.baseUrls.length;
    for (let i = 0; ; i++) {
      const { entry, json } = await request(patient, op, method, url, body, api);
      const again = entry.outcome === 'unknown' || (entry.code !== null && TRANSIENT.has(entry.code));
      if (!again) return entry.outcome === 'ok' ? json : null;
      if (i === RETRIES || stopping) return null;
      if (entry.status === 0) api = (api + 1) % opts.baseUrls.length; // gone: the balancer tries the other
      await sleep(Math.min(5, Number(entry.retryAfter) || 0.5) * 1000);
    }
  }

  async function journey(patient: { id: string; token: string }) {
    const doctor = pick(doctors);
    const slots = opts.seed.slotsByDoctor.get(doctor)!;
    const slotId = pick(slots);
    const booked = await attempt(
      patient,
      { kind: 'book', key: randomUUID(), appointmentId: null, slotId },
      'POST',
      '/api/v1/appointments',
      { slotId },
    );
    if (!booked) return;
    const id = String(booked.id);
    const paymentId = (booked.payment as { id?: string } | null)?.id;
    history.findLast((o) => o.kind === 'book' && o.patientId === patient.id)!.appointmentId = id;
    const pay = (kind: 'pay' | 'pay-fail') =>
      attempt(
        patient,
        { kind, key: null, appointmentId: id, slotId: null },
        'POST',
        `/api/v1/payments/${paymentId}/sandbox/${kind === 'pay' ? 'succeed' : 'fail'}`,
      );
    const cancel = () =>
      attempt(
        patient,
        { kind: 'cancel', key: randomUUID(), appointmentId: id, slotId: null },
        'POST',
        `/api/v1/appointments/${id}/cancel`,
        { reason: 'chaos: changed plans' },
      );
    const reschedule = () => {
      const to = pick(slots);
      return attempt(
        patient,
        { kind: 'reschedule', key: randomUUID(), appointmentId: id, slotId: to },
        'POST',
        `/api/v1/appointments/${id}/reschedule`,
        { slotId: to },
      );
    };
    const r = Math.random();
    if (r < 0.15) return; // walks away: the hold lapses
    if (r < 0.25) {
      await cancel();
      return;
    }
    if (r < 0.35) await pay('pay-fail');
    if (r > 0.85) await reschedule();
    if (!paymentId || !(await pay('pay'))) return;
    const after = Math.random();
    if (after < 0.2) await cancel();
    else if (after < 0.4) await reschedule();
  }

  async function patientLoop(patient: { id: string; token: string }) {
    while (!stopping) {
      await journey(patient);
      await sleep(50 + Math.random() * 200);
    }
  }

  const running = Promise.all(opts.seed.patients.slice(0, opts.patients).map(patientLoop));
  return {
    history,
    now,
    async stop() {
      stopping = true;
      await running;
    },
  };
}
