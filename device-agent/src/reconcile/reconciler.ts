import type { EventEmitter } from 'node:events';
import { canonicalJson, type DesiredStateMessage, type ReportMessage } from '@edgefleet/contracts';
import type { AgentEvents } from '../agent-events';
import type { BenchmarkBudget, TransferTuning } from '../config/agent-options';
import { executeSteps } from '../executor/executor';
import type { DeviceHardware } from '../hardware/device-hardware';
import { AbortedError, describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { AgentLink } from '../mqtt/agent-link';
import { plan, type SignatureCheck } from '../planner/planner';
import { referencedObjects, type PersistedState } from '../state/agent-state';
import type { StateStore } from '../state/state-store';
import { objectStatuses } from './object-status';

export interface ReconcilerDeps {
  store: StateStore;
  link: Pick<AgentLink, 'requestBlocks' | 'onBlock' | 'onRejected' | 'publishProgress' | 'publishReport'>;
  events: EventEmitter<AgentEvents>;
  logger: Logger;
  hardware: DeviceHardware;
  tuning: TransferTuning;
  budget: BenchmarkBudget;
  benchmarkLock?: string;
  signatureOf: (d: DesiredStateMessage) => SignatureCheck;
}

/**
 * The agent's state and one reconcile pass over it: plan (pure) from the persisted and desired state, execute,
 * publish the report, collect garbage. Owns the one in-memory copy of the persisted state.
 */
export class Reconciler {
  private current: AbortController | undefined;
  private lastReport: ReportMessage | undefined;

  constructor(private readonly deps: ReconcilerDeps, private state: PersistedState) {}

  get snapshot(): PersistedState {
    return this.state;
  }

  /** One pass; throws transient errors (the loop retries them). */
  async reconcileOnce(): Promise<void> {
    const { store, link, events, logger, hardware } = this.deps;
    const desired = this.state.desired;
    const steps = plan({ desired, signature: desired ? this.deps.signatureOf(desired) : 'not-required', state: this.state, objects: await objectStatuses(store, desired) });
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
          link.publishProgress(p).catch((err: unknown) => logger.warn('progress not published', { error: describeError(err) }));
        },
        logger,
        tuning: this.deps.tuning,
        budget: this.deps.budget,
        threads: hardware.threads,
        slowdown: hardware.slowdown.factor,
        simulated: hardware.simulated,
        benchmarkLock: this.deps.benchmarkLock,
      }, this.current.signal);
      this.state = result.state;
      if (result.report) this.publishReport(result.report);
      await store.collectGarbage(referencedObjects(this.state));
    } finally {
      this.current = undefined;
    }
  }

  /**
   * Takes a new desired state (undefined: cleared). Returns false when it equals the one held. A change aborts the
   * pass in flight and is persisted before it is worked on.
   */
  async setDesired(next: DesiredStateMessage | undefined): Promise<boolean> {
    if (canonicalJson(next ?? null) === canonicalJson(this.state.desired ?? null)) return false;
    this.abort('superseded by a new desired state');
    this.state = { ...this.state, desired: next };
    await this.deps.store.save(this.state);
    return true;
  }

  /**
   * The control plane re-sent what we already finished (e.g. after our hello): our report may have been lost while
   * it was down, so say it again. Reports are idempotent per (deployment, artifact).
   */
  repeatReport(deploymentId: string): void {
    if (this.current || !this.lastReport || this.lastReport.deploymentId !== deploymentId) return;
    this.deps.link.publishReport(this.lastReport).catch((err: unknown) => this.deps.logger.warn('report not re-published', { error: describeError(err) }));
  }

  abort(reason: string): void {
    this.current?.abort(new AbortedError(reason));
  }

  private publishReport(r: ReportMessage): void {
    this.lastReport = r;
    this.deps.events.emit('report', r);
    this.deps.link.publishReport(r).catch((err: unknown) => this.deps.logger.warn('report not published', { error: describeError(err) }));
  }
}
