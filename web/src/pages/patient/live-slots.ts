/**
 * The availability socket (`/api/v1/ws/availability?doctorId=`, AsyncAPI at /api-docs): every
 * `slot.updated` / `slot.removed` patches the cached slot list at once, so the grid changes without
 * a reload. Each `ready` (first connect and every reconnect) refetches the list, so changes made
 * while the socket was away are not missed. A closed socket reconnects with exponential backoff
 * (1 s … 30 s); close code 4404 (unknown or unverified doctor) stops it.
 */
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Schemas } from '../../api/client';

type Slot = Schemas['Slot'];
export type SlotChange = { type: 'slot.updated' | 'slot.removed'; slot: Slot };
type SocketMessage = SlotChange | { type: 'ready'; doctorId: string } | { type: 'heartbeat'; at: string };

export const slotsKey = (doctorId: string) => ['slots', doctorId] as const;

const UNKNOWN_DOCTOR = 4404;
const MAX_BACKOFF_MS = 30_000;

function patch(queries: QueryClient, doctorId: string, change: SlotChange) {
  queries.setQueryData<Schemas['DoctorSlots']>(slotsKey(doctorId), (list) => {
    if (!list) return list;
    const others = list.items.filter((s) => s.id !== change.slot.id);
    const bookable =
      change.type === 'slot.updated' &&
      change.slot.status === 'open' &&
      Date.parse(change.slot.startsAt) > Date.now();
    const items = bookable
      ? [...others, change.slot].sort((a, b) => a.startsAt.localeCompare(b.startsAt))
      : others;
    return { ...list, items };
  });
}

/** Keeps the doctor's slot list live; `onChange` hears each change (to announce it). */
export function useLiveSlots(doctorId: string, onChange: (change: SlotChange) => void): void {
  const queries = useQueryClient();
  const listener = useRef(onChange);
  listener.current = onChange;
  useEffect(() => {
    let socket: WebSocket | null = null;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}/api/v1/ws/availability?doctorId=${encodeURIComponent(doctorId)}`;
    const connect = () => {
      socket = new WebSocket(url);
      socket.onmessage = (event) => {
        let message: SocketMessage;
        try {
          message = JSON.parse(String(event.data)) as SocketMessage;
        } catch {
          return;
        }
        if (message.type === 'ready') {
          failures = 0;
          void queries.invalidateQueries({ queryKey: slotsKey(doctorId) });
        } else if (message.type === 'slot.updated' || message.type === 'slot.removed') {
          patch(queries, doctorId, message);
          listener.current(message);
        }
      };
      socket.onclose = (event) => {
        if (stopped || event.code === UNKNOWN_DOCTOR) return;
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures);
        failures += 1;
        timer = setTimeout(connect, delay);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, [doctorId, queries]);
}
