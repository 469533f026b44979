/** Who did something: `apikey:<id>`, `device:<id>`, `ip:<address>` or `system`. */
export type Actor = string;

/** Every audited action and the entity it concerns. Adding an action here is how a new mutation gets audited. */
export interface AuditActions {
  'device.create': 'device';
  'device.update': 'device';
  'device.delete': 'device';
  'device.register': 'device';
  'model.upload': 'model';
  'deployment.create': 'deployment';
  'deployment.report': 'deployment';
  'deployment.reconcile': 'deployment';
  'deployment.give-up': 'deployment';
  /** An operator cancelled a deployment: its unfinished devices stop, and devices go back to what they ran. */
  'deployment.cancel': 'deployment';
  'model.delete': 'model';
  'dataset.delete': 'dataset';
  'target.pause': 'target';
  'target.resume': 'target';
  'device.pin': 'device';
  'device.unpin': 'device';
  'apikey.create': 'apikey';
  'signing-key.stage': 'signing-key';
  'signing-key.activate': 'signing-key';
  'signing-key.retire': 'signing-key';
  'device.enroll': 'device';
  'device.credential.rotate': 'device';
  'enrollment-token.create': 'enrollment-token';
  'enrollment-token.revoke': 'enrollment-token';
  'apikey.revoke': 'apikey';
  'segment.create': 'segment';
  'segment.update': 'segment';
  'segment.delete': 'segment';
  'rollout.create': 'rollout';
  /** Every decision a rollout's driver or an operator took (start, advance, pause, rollback, …), with its reason. */
  'rollout.decision': 'rollout';
  /** Refused logins of one source, aggregated over a window (RefusalAudit), not one row per request. */
  'auth.refused': 'client';
}

export type AuditAction = keyof AuditActions;

export interface AuditEntry<A extends AuditAction = AuditAction> {
  actor: Actor;
  action: A;
  entityType: AuditActions[A];
  entityId?: string;
  details?: Record<string, unknown>;
}

/** What `GET /audit` filters on; every given field must match (`from` inclusive, `to` exclusive). */
export interface AuditFilter {
  actor?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
}
