import { backoffDelay } from '../lib/backoff';
import { AbortedError, TransferRejectedError, TransferStalledError } from '../lib/errors';
import type { TransferTuning } from '../config/agent-options';
import { AdaptiveWindow } from './adaptive-window';
import type { PartialDownload } from './partial-download';

/** What the fetcher needs from the MQTT side; the agent link implements it, tests may too. */
export interface BlockTransport {
  requestBlocks(sha256: string, index: number, count: number): Promise<void>;
  /** Delivers raw block payloads for `sha256`; returns the unsubscribe function. */
  onBlock(sha256: string, listener: (index: number, payload: Buffer) => void): () => void;
  /** The control plane refused one of our messages; returns the unsubscribe function. */
  onRejected(listener: (reason: string, topic: string) => void): () => void;
}

export interface FetchProgress {
  received: number;
  total: number;
}

const TICK_MS = 100;

/**
 * Fills a PartialDownload over MQTT: keeps a window of blocks in flight (contiguous runs go out as one
 * BlockRequestMessage with `count`) that starts at `tuning.window` and adapts up to `tuning.maxWindow` (AdaptiveWindow:
 * grows while throughput grows, halves when an answer is late), re-requests a block whose answer is late with exponential backoff and
 * jitter, and gives up (transiently) when nothing at all arrives for `stallTimeoutMs`. Only blocks the
 * bitmap lacks are ever requested, so a resumed transfer costs only what is missing.
 */
export async function fetchBlocks(opts: {
  partial: PartialDownload;
  transport: BlockTransport;
  tuning: TransferTuning;
  signal: AbortSignal;
  onProgress?: (p: FetchProgress) => void;
  onRequestError?: (err: unknown) => void;
  random?: () => number;
}): Promise<{ requestedBlocks: number; duplicateBlocks: number }> {
  const { partial, transport, tuning, signal } = opts;
  const { sha256 } = partial.ref;
  const total = partial.bitmap.total;
  if (partial.complete) return { requestedBlocks: 0, duplicateBlocks: 0 };

  const inflight = new Map<number, number>(); // block → deadline (ms epoch)
  const writing = new Set<number>(); // arrived, being written: neither missing nor requestable
  const attempts = new Map<number, number>(); // block → times requested
  const notBefore = new Map<number, number>(); // block → earliest re-request time (backoff)
  let lastBlockAt = Date.now();
  // A refusal is final only if nothing arrives after it: where several control planes share a broker (a
  // cluster behind shared subscriptions, or unrelated ones), another may still answer the same request.
  let refusal: { reason: string; at: number } | undefined;
  let requested = 0;
  let duplicates = 0;
  const win = new AdaptiveWindow({ initial: tuning.window, min: Math.min(4, tuning.window), max: Math.max(tuning.window, tuning.maxWindow ?? tuning.window) });

  return new Promise((resolve, reject) => {
    let finished = false;
    const cleanups: Array<() => void> = [];
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      for (const c of cleanups) c();
      if (err) reject(err);
      else resolve({ requestedBlocks: requested, duplicateBlocks: duplicates });
    };

    const timeoutFor = (block: number) =>
      backoffDelay(attempts.get(block) ?? 0, { baseMs: tuning.requestTimeoutMs, maxMs: tuning.maxRequestTimeoutMs, random: opts.random }) + tuning.requestTimeoutMs / 2;

    const pump = () => {
      if (finished) return;
      // Refill in runs of a quarter window, not one request per block that arrives: a fast transfer would otherwise
      // send hundreds of requests a second and meet the control plane's per-device request rate.
      if (win.size - inflight.size < refillRun(win.size)) return;
      const now = Date.now();
      let next = 0;
      while (inflight.size < win.size) {
        // The lowest missing block that is neither in flight nor backing off.
        while (next < total && (partial.bitmap.has(next) || inflight.has(next) || writing.has(next) || (notBefore.get(next) ?? 0) > now)) next++;
        if (next >= total) break;
        let count = 1;
        while (
          count < Math.min(64, win.size - inflight.size) &&
          next + count < total &&
          !partial.bitmap.has(next + count) && !inflight.has(next + count) && !writing.has(next + count) && (notBefore.get(next + count) ?? 0) <= now
        ) count++;
        for (let b = next; b < next + count; b++) {
          inflight.set(b, now + timeoutFor(b));
          attempts.set(b, (attempts.get(b) ?? 0) + 1);
        }
        requested += count;
        // A failed publish (connection down) is just a lost request: its deadline re-requests it.
        transport.requestBlocks(sha256, next, count).catch((err: unknown) => opts.onRequestError?.(err));
        next += count;
      }
    };

    const onBlock = (index: number, payload: Buffer) => {
      if (finished) return;
      if (partial.bitmap.has(index) || writing.has(index)) {
        duplicates++; // a late answer to a re-request
        return;
      }
      inflight.delete(index);
      writing.add(index);
      partial.writeBlock(index, payload).then(
        (result) => {
          writing.delete(index);
          if (finished) return;
          if (result === 'duplicate') duplicates++;
          else if (result === 'refused') {
            // Wrong length: untrustworthy; it stays missing and will be requested again after backoff.
            notBefore.set(index, Date.now() + timeoutFor(index));
          } else {
            lastBlockAt = Date.now();
            win.delivered();
            if (refusal && refusal.at <= lastBlockAt) refusal = undefined;
            opts.onProgress?.({ received: partial.bitmap.count, total });
          }
          if (partial.complete) finish();
          else pump();
        },
        (err: unknown) => finish(err as Error),
      );
    };

    cleanups.push(transport.onBlock(sha256, onBlock));
    cleanups.push(
      transport.onRejected((reason, topic) => {
        // The reason names the sha256 it refused; a reason naming another object is about an older request.
        const other = /[a-f0-9]{64}/.exec(reason);
        if (topic.endsWith('/block-req') && (!other || reason.includes(sha256))) refusal ??= { reason, at: Date.now() };
      }),
    );
    const onAbort = () => finish(new AbortedError('transfer aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));

    const timer = setInterval(() => {
      const now = Date.now();
      let late = false;
      for (const [block, deadline] of inflight) {
        if (deadline <= now) {
          inflight.delete(block);
          notBefore.set(block, now); // late: eligible again right away, with a longer deadline next time
          late = true;
        }
      }
      if (late) win.stalled();
      if (refusal && now - refusal.at >= tuning.requestTimeoutMs) {
        finish(new TransferRejectedError(`control plane refused blocks of ${sha256}: ${refusal.reason}`));
        return;
      }
      // The stream went quiet: persist what arrived so a kill now loses nothing.
      if (now - lastBlockAt > 2 * TICK_MS) partial.checkpointIfDirty().catch((err: unknown) => finish(err as Error));
      if (now - lastBlockAt > tuning.stallTimeoutMs) {
        finish(new TransferStalledError(`no block of ${sha256} for ${tuning.stallTimeoutMs} ms (${partial.bitmap.count}/${total} received)`));
        return;
      }
      pump();
    }, TICK_MS);
    cleanups.push(() => clearInterval(timer));
    if (signal.aborted) onAbort();
    else pump();
  });
}

/** Free slots that make the fetcher ask again (one request per run). */
export const refillRun = (window: number): number => Math.max(1, Math.floor(window / 4));
