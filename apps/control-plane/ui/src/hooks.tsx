import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { events, get } from './api';

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; error: Error };

/** Loads once per change of `deps`, and again every `refreshMs` when given; the previous value stays shown meanwhile. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> {
  const [v, setV] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setV({ state: 'loading' });
    const run = async () => {
      try {
        const value = await load(ctl.signal);
        if (!ctl.signal.aborted) setV({ state: 'ok', value });
      } catch (err) {
        if (!ctl.signal.aborted) setV({ state: 'error', error: err as Error });
      }
      if (refreshMs && !ctl.signal.aborted) timer = setTimeout(() => void run(), refreshMs);
    };
    void run();
    return () => { ctl.abort(); clearTimeout(timer); };
  }, deps);
  return v;
}

/** Loading / error / content of a Loaded value. */
export function Show<T>(props: { v: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (props.v.state === 'loading') return <p class="muted">Loading…</p>;
  if (props.v.state === 'error') return <p class="error" role="alert">{props.v.error.message}</p>;
  return <>{props.children(props.v.value)}</>;
}

export interface Live<T> { value?: T; error?: string; live: 'connecting' | 'live' | 'ended' }

/**
 * A resource kept current by its server-sent events (the API's `streamChanges` routes): GET `path` once, then every
 * `progress` / `end` event of `path`/events replaces it; an `error` event or a failed request shows as `error`.
 */
export function useLive<T>(path: string): Live<T> {
  const [state, setState] = useState<Live<T>>({ live: 'connecting' });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ live: 'connecting' });
    (async () => {
      const first = await get<T>(path, ctl.signal);
      setState((s) => ({ ...s, value: first }));
      for await (const e of events(`${path}/events`, ctl.signal)) {
        if (e.event === 'progress' || e.event === 'end') {
          const value = e.data as T;
          setState((s) => ({ ...s, value, live: e.event === 'end' ? 'ended' : 'live' }));
        } else if (e.event === 'error') {
          const error = (e.data as { message: string }).message;
          setState((s) => ({ ...s, error }));
        }
      }
      setState((s) => ({ ...s, live: 'ended' }));
    })().catch((err: unknown) => { if (!ctl.signal.aborted) setState((s) => ({ ...s, error: (err as Error).message })); });
    return () => ctl.abort();
  }, [path]);
  return state;
}
