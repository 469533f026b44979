import { randomUUID } from 'node:crypto';
import type { ReportMessage } from '@edgefleet/contracts';
import { ArtifactMismatchError } from '@edgefleet/platform';
import type { AuditEntry, AuditRepository, Db, FleetEvents, UnitOfWork } from '@edgefleet/platform';
import { BatchQueue } from '../common/batch-queue';
import type { NewReport, ReportRepository } from '../reports/report.repository';
import { stateAfterReport, type DeploymentStatusName } from './deployment-state';
import type { FinishedDeviceRow } from './deployment.repository';
import { RowMessageBatch, type RowBatchDeps } from './row-message-batch';

interface Item { deviceId: string; msg: ReportMessage }

interface Stored { deviceId: string; deploymentId: string; artifactId: string; outcome: ReportMessage['outcome'] }

/**
 * Benchmark reports, written by group commit (the reports that arrived while the previous batch was being written
 * go into one transaction): claim their msgIds, lock their deployments (id order) and rows (id order), then store
 * every report, finish its row, set what each device runs, audit, and roll each deployment up once — a fixed number
 * of statements per batch instead of ten per report. Per report the rules are those of one alone: a resend (msgId
 * stored) or a second report for a row is ignored; a superseded row stays superseded; a report for an unknown row
 * or another artifact is refused alone (its claim taken back) while the others are stored. The caller acks a report
 * only after its batch committed; `device.reported` is emitted after the commit.
 */
export class ReportWriter {
  private readonly batches = new BatchQueue<Item, void>(async (items) => {
    const { results, stored } = await this.uow.transaction((tx) => this.write(items, tx));
    for (const s of stored) this.events.emit('device.reported', s);
    return results;
  });

  constructor(
    private readonly uow: UnitOfWork,
    private readonly deps: RowBatchDeps,
    private readonly reports: ReportRepository,
    private readonly audit: AuditRepository,
    private readonly events: FleetEvents,
    /** Rolls a deployment up inside the transaction, given the status read under its lock. */
    private readonly rollUp: (deploymentId: string, tx: Db, lockedStatus: DeploymentStatusName) => Promise<void>,
  ) {}

  record(deviceId: string, msg: ReportMessage): Promise<void> {
    return this.batches.submit({ deviceId, msg });
  }

  private async write(items: Item[], tx: Db): Promise<{ results: Array<void | Error>; stored: Stored[] }> {
    const results: Array<void | Error> = items.map(() => undefined);
    const batch = await RowMessageBatch.open(items, 'report', { lockDeployments: true }, this.deps, tx);
    const newReports: Array<NewReport & { id: string }> = [];
    const finished: FinishedDeviceRow[] = [];
    const running = new Map<string, string>(); // device → artifact it activated (the last report wins)
    const audits: AuditEntry[] = [];
    const stored: Stored[] = [];
    const refused: number[] = [];
    for (const i of batch.fresh) {
      const { deviceId, msg } = items[i]!;
      const target = await batch.target(i, (a) => (msg.artifactSha256 !== a.sha256 ? new ArtifactMismatchError(msg.deploymentId, a.sha256, msg.artifactSha256) : undefined));
      if (target instanceof Error) {
        results[i] = target;
        refused.push(i);
        continue;
      }
      const { row, artifact } = target;
      if (row.reportId) continue; // a second report for the row (QoS 1 redelivery without msgId): ignored
      const report = { id: randomUUID(), ...reportOf(deviceId, row.deploymentId, artifact.id, msg) };
      newReports.push(report);
      row.reportId = report.id;
      finished.push({ id: row.id, state: stateAfterReport(row.state, msg.outcome), reportId: report.id, error: msg.outcome === 'activated' ? null : (msg.failureReason ?? msg.outcome) });
      // The device says what it runs; that holds even when a newer deployment has taken the row over.
      if (report.activated) running.set(deviceId, artifact.id);
      audits.push({ actor: `device:${deviceId}`, action: 'deployment.report', entityType: 'deployment', entityId: row.deploymentId, details: { outcome: msg.outcome, reportId: report.id } });
      stored.push({ deviceId, deploymentId: row.deploymentId, artifactId: artifact.id, outcome: msg.outcome });
    }
    await batch.release(refused);
    await this.reports.createMany(newReports, tx);
    await this.deps.deployments.finishDeviceRows(finished, tx);
    await this.deps.devices.setActiveArtifacts(running, tx);
    await this.audit.recordMany(audits, tx);
    for (const id of new Set(stored.map((s) => s.deploymentId))) await this.rollUp(id, tx, batch.statuses.get(id)!);
    return { results, stored };
  }
}

/** The stored report of a device's ReportMessage (its details are the message, without the transport's msgId). */
function reportOf(deviceId: string, deploymentId: string, artifactId: string, msg: ReportMessage): NewReport {
  const { msgId: _msgId, ...details } = msg;
  return {
    deviceId, artifactId, deploymentId,
    latencyP50Ms: msg.latency?.p50Ms, latencyP95Ms: msg.latency?.p95Ms, latencyP99Ms: msg.latency?.p99Ms, latencyMeanMs: msg.latency?.meanMs,
    throughputPerSec: msg.throughputPerSec, peakRssMb: msg.peakRssMb, modelMemoryMb: msg.modelMemoryMb, accuracy: msg.accuracy, evalSamples: msg.evalSamples,
    runs: msg.runs,
    passed: msg.outcome !== 'failed' && msg.gateResults.every((g) => g.passed),
    activated: msg.outcome === 'activated',
    simulated: msg.simulated,
    failureReason: msg.failureReason,
    details: JSON.parse(JSON.stringify(details)) as Record<string, unknown>,
  };
}
