/** Loads data and, while live updates are on, reloads it every few seconds. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { signal, useSignal } from './signal.js';

export const POLL_INTERVAL_MS = 5000;

/** Live updates on or off, for every page. */
export const live = signal(true);

export interface Polled<T> {
  readonly data?: T;
  readonly error?: Error;
  readonly updatedAt?: Date;
  reload(): void;
}

export function usePoll<T>(load: () => Promise<T>, key: string): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; updatedAt?: Date }>({});
  const [tick, setTick] = useState(0);
  const isLive = useSignal(live);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    let cancelled = false;
    load().then(
      (data) => !cancelled && setState({ data, updatedAt: new Date() }),
      (error: Error) => !cancelled && setState((s) => ({ ...s, error })),
    );
    return () => {
      cancelled = true;
    };
  }, [key, tick]); // key names what load reads
  useEffect(() => {
    if (!isLive) return undefined;
    const timer = setInterval(reload, POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [isLive, reload]);
  return { ...state, reload };
}
