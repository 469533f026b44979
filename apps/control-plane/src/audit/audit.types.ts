/** Who did something: an API key id, `device:<id>`, or `system`. */
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
  'device.enroll': 'device';
  'device.credential.rotate': 'device';
  'enrollment-token.create': 'enrollment-token';
  'enrollment-token.revoke': 'enrollment-token';
  'signing-key.stage': 'signing-key';
  'signing-key.activate': 'signing-key';
  'signing-key.retire': 'signing-key';
}

export type AuditAction = keyof AuditActions;

export interface AuditEntry<A extends AuditAction = AuditAction> {
  actor: Actor;
  action: A;
  entityType: AuditActions[A];
  entityId?: string;
  details?: Record<string, unknown>;
}
