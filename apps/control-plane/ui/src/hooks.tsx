import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

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
