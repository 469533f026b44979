import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MSG_ID_PATTERN, ProgressMessage, ReportMessage, validateAs } from '@edgefleet/contracts';
import { readJsonIfExists, removeIfExists, writeJsonAtomic } from '../lib/atomic-file';
import type { Logger } from '../lib/logger';

/** A state-changing message the control plane has not acknowledged yet. */
export type OutboxEntry =
  | { seq: number; kind: 'progress'; msg: ProgressMessage & { msgId: string } }
  | { seq: number; kind: 'report'; msg: ReportMessage & { msgId: string } };

/** More than any deployment produces between two acks; past it the oldest progress is dropped (reports never). */
export const MAX_OUTBOX_ENTRIES = 500;

const PROGRESS_RANK: Record<ProgressMessage['state'], number> = { downloading: 1, verifying: 2, benchmarking: 3, staged: 4, failed: 5 };

/** A fresh message id: time-ordered prefix (readable in logs) + 48 random bits. Matches MSG_ID_PATTERN. */
export const newMsgId = (): string => `${Date.now().toString(36)}-${randomBytes(6).toString('base64url')}`;

/**
 * The agent's outbox: every progress and report stays here, with its message id, until the control plane
 * acknowledges that it is stored. A message that changes state — a report, a progress whose state is not the
 * previous progress's of its deployment (`downloading` → `verifying` …), a `failed` — is on disk
 * (`<state dir>/outbox/<msgId>.json`, written atomically) before it is sent, so it survives an agent restart. A
 * progress that only advances the block counter of the state already stored is kept in memory (resent like the
 * others while the agent runs; after a restart the transfer resumes and reports its count anew): it is most of a
 * deployment's messages, and one file written, renamed and unlinked per block was most of the simulated fleet's
 * file work. The control plane only ever moves a row forward, so a progress message makes the earlier, not-higher
 * ones of its deployment pointless: they are dropped (coalesced) — except that a progress kept in memory never
 * drops one on disk (the state change would not survive a restart) — and a report drops the deployment's pending
 * progress. A `failed` progress and reports are always kept.
 */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  /** msgIds whose file exists (or is being written). */
  private readonly onDisk = new Set<string>();
  /** The state of the latest progress added per deployment (this run): a progress of the same state is counter only. */
  private readonly lastState = new Map<string, ProgressMessage['state']>();
  private seq = 0;
  /** File operations one at a time, in order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string, private readonly logger: Logger) {}

  /** Reads what a previous run left unacknowledged. A file that is not a valid entry is removed (logged). */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const f of await readdir(this.dir)) {
      const path = join(this.dir, f);
      if (!f.endsWith('.json')) {
        if (f.endsWith('.tmp')) await removeIfExists(path); // an interrupted atomic write
        continue;
      }
      let entry: OutboxEntry | undefined;
      try {
        entry = parseEntry(await readJsonIfExists(path));
      } catch {
        entry = undefined;
      }
      if (!entry || `${entry.msg.msgId}.json` !== f) {
        this.logger.warn('dropping an unreadable outbox entry', { file: f });
        await removeIfExists(path);
        continue;
      }
      this.entries.set(entry.msg.msgId, entry);
      this.onDisk.add(entry.msg.msgId);
      this.seq = Math.max(this.seq, entry.seq);
    }
  }

  /**
   * Drops reports whose outcome `isSaved` denies: the agent stores a report, then saves its outcome; a crash between
   * the two leaves a report of work the agent will redo (and report again), which must not go out.
   */
  async dropReportsWithout(isSaved: (r: ReportMessage) => boolean): Promise<number> {
    const orphans = this.pending().filter((e) => e.kind === 'report' && !isSaved(e.msg));
    for (const e of orphans) await this.remove(e.msg.msgId);
    return orphans.length;
  }

  /** Unacknowledged messages, oldest first. */
  pending(): OutboxEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }

  get size(): number {
    return this.entries.size;
  }

  has(msgId: string): boolean {
    return this.entries.has(msgId);
  }

  /** True when the message is on disk (or being written) — a state change; false for a counter-only progress in memory. */
  durable(msgId: string): boolean {
    return this.onDisk.has(msgId);
  }

  /**
   * Stores a message under a new id and returns the entry to send: on disk when this resolves if it changes state
   * (see the class comment), in memory otherwise.
   */
  add(kind: 'progress', msg: Omit<ProgressMessage, 'msgId'>): Promise<OutboxEntry>;
  add(kind: 'report', msg: Omit<ReportMessage, 'msgId'>): Promise<OutboxEntry>;
  add(kind: 'progress' | 'report', msg: Omit<ProgressMessage, 'msgId'> | Omit<ReportMessage, 'msgId'>): Promise<OutboxEntry> {
    const entry = { seq: ++this.seq, kind, msg: { ...msg, msgId: newMsgId() } } as OutboxEntry;
    const durable = entry.kind === 'report' || entry.msg.state === 'failed' || this.lastState.get(entry.msg.deploymentId) !== entry.msg.state;
    if (entry.kind === 'progress') this.lastState.set(entry.msg.deploymentId, entry.msg.state);
    const obsolete = this.pending().filter((e) => supersedes(entry, e) && (durable || !this.onDisk.has(e.msg.msgId)));
    for (const e of obsolete) this.entries.delete(e.msg.msgId);
    while (this.entries.size >= MAX_OUTBOX_ENTRIES) {
      const oldest = this.pending().find((e) => e.kind === 'progress');
      if (!oldest) break;
      this.entries.delete(oldest.msg.msgId);
      obsolete.push(oldest);
    }
    this.entries.set(entry.msg.msgId, entry);
    const files = obsolete.filter((e) => this.onDisk.delete(e.msg.msgId));
    if (!durable && files.length === 0) return Promise.resolve(entry);
    if (durable) this.onDisk.add(entry.msg.msgId);
    return this.serial(async () => {
      if (durable) await writeJsonAtomic(this.pathOf(entry.msg.msgId), entry);
      for (const e of files) await removeIfExists(this.pathOf(e.msg.msgId));
      return entry;
    });
  }

  /** The control plane stored `msgId` (or refused it for good): forget it. False when it was not pending. */
  async remove(msgId: string): Promise<boolean> {
    if (!MSG_ID_PATTERN.test(msgId) || !this.entries.delete(msgId)) return false;
    if (this.onDisk.delete(msgId)) await this.serial(() => removeIfExists(this.pathOf(msgId)));
    return true;
  }

  private pathOf(msgId: string): string {
    return join(this.dir, `${msgId}.json`);
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.chain.then(op);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Whether `newer` makes `older` pointless to deliver (see Outbox). */
function supersedes(newer: OutboxEntry, older: OutboxEntry): boolean {
  if (older.kind !== 'progress' || older.msg.state === 'failed') return false;
  if (newer.msg.deploymentId !== older.msg.deploymentId) return false;
  if (newer.kind === 'report') return true;
  return PROGRESS_RANK[newer.msg.state] >= PROGRESS_RANK[older.msg.state];
}

function parseEntry(raw: unknown): OutboxEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { seq, kind, msg } = raw as { seq?: unknown; kind?: unknown; msg?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return undefined;
  const cls = kind === 'progress' ? ProgressMessage : kind === 'report' ? ReportMessage : undefined;
  if (!cls) return undefined;
  const r = validateAs(cls as typeof ProgressMessage, msg);
  if (!r.ok || typeof r.value.msgId !== 'string') return undefined;
  return { seq, kind, msg: msg } as OutboxEntry;
}
