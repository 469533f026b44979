import type { EventEmitter } from 'node:events';
import { canonicalJson, type DesiredStateMessage } from '@edgefleet/contracts';
import type { AgentEvents } from '../agent-events';
import type { Logger } from '../lib/logger';
import type { DesiredEvent } from '../mqtt/agent-link';
import type { ReconcileLoop } from '../reconcile/reconcile-loop';
import type { Reconciler } from '../reconcile/reconciler';
import { checkDesired, type DesiredVerdict } from './desired-check';
import type { HighWaterMark } from './high-water-mark';
import type { KeyRing } from './key-ring';

/** After a message signed by an unknown key, the key set is fetched again at most this often. */
const UNKNOWN_KEY_REFRESH_MS = 30_000;

export interface IntakeDeps {
  deviceId: string;
  keyRing: KeyRing;
  highWater: HighWaterMark;
  reconciler: Reconciler;
  loop: ReconcileLoop;
  events: EventEmitter<AgentEvents>;
  logger: Logger;
  insecure: boolean;
  maxObjectBytes: number;
}

/**
 * The door for desired state: what arrives on the device's `desired` topic is checked (checkDesired) before it can
 * replace what the agent works on. A refused message is logged and dropped — no report, because its claims
 * (deployment id, artifact) are not trustworthy — and the agent keeps its last accepted desired state.
 */
export class DesiredIntake {
  constructor(private readonly d: IntakeDeps) {}

  async handle(ev: DesiredEvent): Promise<void> {
    const { logger, events, reconciler, loop } = this.d;
    if (ev.kind === 'invalid') {
      logger.warn('ignoring malformed desired state', { errors: ev.errors.slice(0, 10) });
      events.emit('invalidDesired', ev.errors);
      return;
    }
    if (ev.kind === 'cleared') {
      // Anyone who may publish on the topic can send an empty payload: only an unsigned fleet takes it as an order.
      if (!this.d.insecure) return void logger.info('retained desired state removed; keeping the last signed one');
      if ((await reconciler.setDesired(undefined)) !== 'same') logger.info('desired state cleared');
      loop.kick();
      return;
    }
    const msg = ev.desired;
    let verdict = this.check(msg);
    if (!verdict.ok && verdict.code === 'unknown-key' && (await this.d.keyRing.refresh(UNKNOWN_KEY_REFRESH_MS))) verdict = this.check(msg);
    if (verdict.ok && msg.seq === this.d.highWater.value) {
      const held = reconciler.snapshot.desired;
      // The one already accepted, delivered again (reconnect, retained): nothing new, but our report may be lost.
      if (held && canonicalJson(held) === canonicalJson(msg)) {
        reconciler.repeatReport(msg.deploymentId);
        loop.kick();
        return;
      }
      verdict = { ok: false, code: 'rollback', reason: `desired state reuses seq ${msg.seq} with other content` };
    }
    if (!verdict.ok) {
      logger.warn('refusing desired state', { code: verdict.code, reason: verdict.reason, seq: msg.seq, deploymentId: msg.deploymentId });
      events.emit('refusedDesired', verdict.code, verdict.reason);
      return;
    }
    await this.d.highWater.raise(msg.seq, msg.deploymentId);
    const change = await reconciler.setDesired(msg);
    logger.info(change === 'refreshed' ? 'desired state re-signed' : 'desired state received', { deploymentId: msg.deploymentId, seq: msg.seq, sha256: msg.artifact.sha256 });
    if (change === 'refreshed') reconciler.repeatReport(msg.deploymentId);
    loop.kick();
  }

  private check(msg: DesiredStateMessage): DesiredVerdict {
    return checkDesired(msg, {
      deviceId: this.d.deviceId,
      trustedKeys: this.d.keyRing.keys,
      highWater: this.d.highWater.value,
      insecure: this.d.insecure,
      maxObjectBytes: this.d.maxObjectBytes,
      now: Date.now(),
    });
  }
}
