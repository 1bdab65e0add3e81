import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { checkSession } from './api.ts';
import { useThrottled } from './hooks.ts';
import type { LiveEvent, LiveMessageEvent } from './types.ts';

/**
 * One EventSource for the signed-in console (`GET /api/v1/events`). The browser reconnects by itself after a
 * dropped connection; when the server refuses the stream (the EventSource closes for good), this opens a new
 * one after a pause that grows to 30 s. Screens subscribe with useLiveEvents.
 */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

type Listener = (event: LiveEvent) => void;

interface LiveContextValue {
  status: LiveStatus;
  subscribe: (listener: Listener) => () => void;
}

const LiveContext = createContext<LiveContextValue>({ status: 'connecting', subscribe: () => () => {} });

export function LiveProvider({ children }: { children: ComponentChildren }) {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const listeners = useRef(new Set<Listener>());
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo<LiveContextValue>(() => ({ status, subscribe }), [status, subscribe]);

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setStatus('reconnecting');
      return;
    }
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let delay = 1000;
    let stopped = false;
    let everOpen = false;

    const dispatch = (type: 'message' | 'ticket', raw: string) => {
      let data: unknown;
      try {
        data = JSON.parse(raw);
      } catch {
        return;
      }
      if (!data || typeof data !== 'object') return;
      const event = type === 'message' ? { type, data: data as LiveMessageEvent } : { type, data: data as { id: number } };
      for (const listener of Array.from(listeners.current)) {
        try {
          listener(event);
        } catch (err) {
          console.error(err);
        }
      }
    };

    const open = () => {
      if (stopped) return;
      source = new EventSource('/api/v1/events', { withCredentials: true });
      source.onopen = () => {
        delay = 1000;
        everOpen = true;
        setStatus('live');
      };
      source.onerror = () => {
        if (!source) return;
        setStatus(everOpen ? 'reconnecting' : 'connecting');
        if (source.readyState === EventSource.CLOSED) {
          // The server refused the stream (EventSource does not say why): if the session ended, the check
          // sends the console to the sign-in screen; otherwise try again after a pause.
          source.close();
          source = null;
          setStatus('reconnecting');
          checkSession();
          retry = setTimeout(open, delay);
          delay = Math.min(delay * 2, 30_000);
        }
      };
      // `event: message` is also what EventSource calls an unnamed event.
      source.addEventListener('message', (e) => dispatch('message', (e as MessageEvent<string>).data));
      source.addEventListener('ticket', (e) => dispatch('ticket', (e as MessageEvent<string>).data));
    };
    open();
    return () => {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      source?.close();
    };
  }, []);

  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/** Calls `handler` for every live event while the component is mounted. */
export function useLiveEvents(handler: Listener): void {
  const { subscribe } = useContext(LiveContext);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => subscribe((event) => ref.current(event)), [subscribe]);
}

/** Calls `reload` on every live event of these types, at most once per 500 ms: a screen that follows what happens. */
export function useLiveReload(reload: () => void, types: readonly LiveEvent['type'][]): void {
  const refresh = useThrottled(reload, 500);
  useLiveEvents((event) => {
    if (types.includes(event.type)) refresh();
  });
}
