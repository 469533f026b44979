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
