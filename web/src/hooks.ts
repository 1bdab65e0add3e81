import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again, keeping what is shown until the answer comes. */
  reload: () => void;
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

/**
 * Data from the API for a screen: loads when `deps` change (an answer to an older request is dropped),
 * reloads on demand. `keepData` keeps the previous data on screen while new deps load (filters).
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[], keepData = false): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined, error: undefined, loading: true,
  });
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback((clear: boolean) => {
    const id = ++seq.current;
    setState((s) => ({ data: clear ? undefined : s.data, error: clear ? undefined : s.error, loading: true }));
    let promise: Promise<T>;
    try {
      promise = loadRef.current();
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (data) => {
        if (id === seq.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if ((error as Error)?.name === 'AbortError') return;
        if (id === seq.current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
  }, []);

  useEffect(() => {
    run(!keepData);
    return () => {
      seq.current++;
    };
  }, deps);

  const reload = useCallback(() => run(false), [run]);
  const setData = useCallback((update: (current: T | undefined) => T | undefined) => {
    setState((s) => ({ ...s, data: update(s.data) }));
  }, []);
  return { ...state, reload, setData };
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/**
 * A function that runs `fn` at most once per `ms`: at once when it has not run for `ms`, else once more when
 * the period ends (so the last call is never lost).
 */
export function useThrottled(fn: () => void, ms: number): () => void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current !== null) return;
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      fnRef.current();
      return;
    }
    timer.current = setTimeout(() => {
      timer.current = null;
      last.current = Date.now();
      fnRef.current();
    }, wait);
  }, [ms]);
}

/** Sets the page title while a screen is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · smsdesk` : 'smsdesk';
  }, [title]);
}
