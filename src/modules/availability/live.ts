import type { Logger } from 'pino';
import { type ConsultationMode, isoOf, type SlotRow, type Wire } from '../../platform/db/schema.ts';
import type { Kv } from '../../platform/kv.ts';

export interface SlotView {
  id: string;
  startsAt: string;
  endsAt: string;
  mode: ConsultationMode;
  status: 'open' | 'held' | 'booked' | 'blocked';
}

export interface SlotEvent {
  type: 'slot.updated' | 'slot.removed';
  slot: SlotView;
}

export const toSlotView = (s: Wire<SlotRow>): SlotView => ({
  id: s.id,
  startsAt: isoOf(s.starts_at),
  endsAt: isoOf(s.ends_at),
  mode: s.mode,
  status: s.status,
});

/** A slot as its doctor sees it: any state, where it came from, and the appointment that has it. */
export interface OwnSlotView extends SlotView {
  source: 'schedule' | 'manual';
  appointmentId: string | null;
}

export const toOwnSlotView = (s: SlotRow & { appointment_id: string | null }): OwnSlotView => ({
  ...toSlotView(s),
  source: s.source,
  appointmentId: s.appointment_id,
});

/** Every instance listens on this one channel; messages are `<version> {"d": doctorId, "e": events}`. */
const CHANNEL = 'doctor-changes';
/** A bump that failed (Redis down or hung) is retried this often until it lands. */
const RETRY_MS = 250;

/**
 * Told of each change to a doctor: its new version (NaN when the change was made here and its
 * version is not known yet), and the slots' events (none: the profile or everything changed).
 */
export type ChangeListener = (doctorId: string, version: number, events: SlotEvent[]) => void;

/**
 * Changes to what the public sees of a doctor (profile, schedule, slots). Every write calls
 * `changed` after its commit: the doctor's version is bumped and the change published on one
 * channel in a single Redis script (in embedded mode, the in-process bus). Each instance subscribes
 * to that channel once and hands each message to its read model (which drops what it cached of
 * the doctor) and to the doctor's WebSocket clients. Listeners on this instance hear of its own
 * writes at once, even while Redis is unreachable; a bump that fails is retried in the background
 * until it lands (the request that made the change doesn't wait for Redis twice).
 */
export function createSlotFeed(kv: Kv, log: Logger) {
  const clients = new Map<string, Set<(event: SlotEvent) => void>>();
  const listeners = new Set<ChangeListener>();
  let subscribed: Promise<() => Promise<void>> | undefined;
  const unpublished = new Set<string>();
  let retrying: NodeJS.Timeout | undefined;
  let closed = false;

  const bump = (doctorId: string, events: SlotEvent[]) =>
    kv.versions.bumpAndPublish(`doctor:${doctorId}`, CHANNEL, JSON.stringify({ d: doctorId, e: events }));

  async function retry() {
    for (const id of unpublished) {
      try {
        await bump(id, []);
        unpublished.delete(id);
      } catch {
        break; // still down
      }
    }
    retrying = unpublished.size > 0 && !closed ? setTimeout(retry, RETRY_MS).unref() : undefined;
  }

  function retryLater(doctorId: string) {
    unpublished.add(doctorId);
    retrying ??= setTimeout(retry, RETRY_MS).unref();
  }

  function deliver(doctorId: string, version: number, events: SlotEvent[]) {
    for (const listener of listeners) listener(doctorId, version, events);
    for (const send of clients.get(doctorId) ?? []) for (const event of events) send(event);
  }

  function onMessage(message: string) {
    const space = message.indexOf(' ');
    const { d, e } = JSON.parse(message.slice(space + 1)) as { d: string; e: SlotEvent[] };
    deliver(d, Number(message.slice(0, space)), e);
  }

  /** Subscribes this instance to the channel (once; retried by the next caller if it failed). */
  function listen(): Promise<unknown> {
    subscribed ??= kv.pubsub.subscribe(CHANNEL, onMessage).catch((error: unknown) => {
      subscribed = undefined;
      throw error;
    });
    return subscribed;
  }

  return {
    listen,

    /** After a commit: bump the doctor's version and tell every instance (retried until it lands). */
    async changed(doctorId: string, events: SlotEvent[] = []): Promise<void> {
      // This instance's own cache must not serve the old state, whatever Redis does.
      for (const listener of listeners) listener(doctorId, Number.NaN, events);
      try {
        await bump(doctorId, events);
      } catch (error) {
        log.warn({ err: error, doctorId }, 'publishing a doctor change failed; retrying in the background');
        retryLater(doctorId);
      }
    },

    /** Current versions of these doctors (throws while Redis is unreachable). */
    versions: (doctorIds: string[]) => kv.versions.get(doctorIds.map((id) => `doctor:${id}`)),

    /** Read models and caches: told of every change (see ChangeListener). */
    onChange(listener: ChangeListener): void {
      listeners.add(listener);
    },

    /** A WebSocket client's feed of one doctor's slot events; resolves once this instance listens. */
    async subscribe(doctorId: string, send: (event: SlotEvent) => void): Promise<() => void> {
      await listen();
      const set = clients.get(doctorId) ?? new Set();
      clients.set(doctorId, set);
      set.add(send);
      return () => {
        set.delete(send);
        if (set.size === 0 && clients.get(doctorId) === set) clients.delete(doctorId);
      };
    },

    async close(): Promise<void> {
      closed = true;
      clearTimeout(retrying);
      retrying = undefined;
      const unsubscribe = await subscribed?.catch(() => undefined);
      subscribed = undefined;
      await unsubscribe?.().catch(() => {});
    },
  };
}

export type SlotFeed = ReturnType<typeof createSlotFeed>;
