import type { EventEmitter } from 'node:events';
import { canonicalJson, type DesiredStateMessage } from '@edgefleet/contracts';
import type { AgentEvents } from '../agent-events';
import type { BenchmarkBudget, TransferTuning } from '../config/agent-options';
import { executeSteps, type ExecutorDeps } from '../executor/executor';
import type { DeviceHardware } from '../hardware/device-hardware';
import { AbortedError, describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { AgentLink } from '../mqtt/agent-link';
import type { ReliableSender } from '../mqtt/reliable-sender';
import { plan } from '../planner/planner';
import { referencedObjects, type PersistedState } from '../state/agent-state';
import type { StateStore } from '../state/state-store';
import { objectStatuses } from './object-status';

export interface ReconcilerDeps {
  store: StateStore;
  link: Pick<AgentLink, 'requestBlocks' | 'onBlock' | 'onRejected'>;
  /** Progress and reports go through the outbox: stored, then resent until the control plane acknowledges them. */
  sender: Pick<ReliableSender, 'progress' | 'holdReport' | 'release' | 'flush'>;
  events: EventEmitter<AgentEvents>;
  logger: Logger;
  hardware: DeviceHardware;
  tuning: TransferTuning;
  budget: BenchmarkBudget;
  benchmarkLock?: string;
  benchmarkRunner?: ExecutorDeps['benchmark'];
}

/**
 * The agent's state and one reconcile pass over it: plan (pure) from the persisted and desired state, execute,
 * publish the report, collect garbage. Owns the one in-memory copy of the persisted state.
 */
export class Reconciler {
  private current: AbortController | undefined;

  constructor(private readonly deps: ReconcilerDeps, private state: PersistedState) {}

  get snapshot(): PersistedState {
    return this.state;
  }

  /** One pass; throws transient errors (the loop retries them). */
  async reconcileOnce(): Promise<void> {
    const { store, link, sender, events, logger, hardware } = this.deps;
    const desired = this.state.desired;
    const expired = desired !== undefined && !(Date.parse(desired.expiresAt) > Date.now());
    const steps = plan({ desired, expired, state: this.state, objects: await objectStatuses(store, desired) });
    events.emit('plan', steps);
    if (steps[0]?.kind === 'nothing') return;
    logger.info('plan', { steps: steps.map((s) => s.kind).join(' → '), deploymentId: desired?.deploymentId });
    this.current = new AbortController();
    try {
      const result = await executeSteps(steps, desired, this.state, {
        store,
        transport: link,
        publishProgress: (p) => {
          events.emit('progress', p);
          sender.progress(p).catch((err: unknown) => logger.warn('progress not stored in the outbox', { error: describeError(err) }));
        },
        sendReport: (r) => sender.holdReport(r),
        logger,
        tuning: this.deps.tuning,
        budget: this.deps.budget,
        threads: hardware.threads,
        slowdown: hardware.slowdown.factor,
        simulated: hardware.simulated,
        benchmarkLock: this.deps.benchmarkLock,
        benchmark: this.deps.benchmarkRunner,
      }, this.current.signal);
      this.state = result.state;
      if (result.report) {
        // The outcome is saved (executeSteps returned): its report may go out now.
        if (result.report.msgId) sender.release(result.report.msgId);
        events.emit('report', result.report);
      }
      await store.collectGarbage(referencedObjects(this.state));
    } finally {
      this.current = undefined;
    }
  }

  /**
   * Takes a desired state the intake accepted (undefined: cleared). 'changed': other work — the pass in flight is
   * aborted; 'refreshed': the same work re-signed (new seq or expiry) — kept running; 'same': nothing new.
   * Persisted before it is worked on.
   */
  async setDesired(next: DesiredStateMessage | undefined): Promise<'changed' | 'refreshed' | 'same'> {
    const held = this.state.desired;
    if (canonicalJson(next ?? null) === canonicalJson(held ?? null)) return 'same';
    // The switch of a staged model (the same deployment without `stage`) is new work.
    const work = (d: DesiredStateMessage | undefined) => canonicalJson(d ? { deploymentId: d.deploymentId, artifact: d.artifact, gates: d.gates, stage: d.stage ?? false } : null);
    const kind = work(next) === work(held) ? 'refreshed' : 'changed';
    if (kind === 'changed') this.abort('superseded by a new desired state');
    this.state = { ...this.state, desired: next };
    await this.deps.store.save(this.state);
    return kind;
  }

  /**
   * The control plane re-sent what we already finished (e.g. after our hello): what it has not acknowledged yet
   * goes out again now rather than at its next resend.
   */
  repeatReport(_deploymentId: string): void {
    this.deps.sender.flush();
  }

  abort(reason: string): void {
    this.current?.abort(new AbortedError(reason));
  }
}
