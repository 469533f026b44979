/**
 * Domain errors: services throw these, the global HTTP filter maps them to status codes, and the MQTT handlers
 * turn them into RejectedMessages. Each carries the HTTP status it means so the mapping lives in one table.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request itself is malformed (400). */
export class InvalidInputError extends DomainError {
  readonly status = 400;
  constructor(message: string, readonly details: string[] = [message]) {
    super(message);
  }
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
}

/** Authenticated, but not allowed to do this, e.g. the key's role does not allow the route (403). */
export class ForbiddenError extends DomainError {
  readonly status = 403;
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} ${JSON.stringify(id)} not found`);
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
}

/** A delete refused because other records still use the thing (409); `users` names each one (`device op-1`, `deployment …`). */
export class InUseError extends ConflictError {
  constructor(entity: string, id: string, readonly users: string[]) {
    super(`${entity} ${JSON.stringify(id)} is in use by ${users.join('; ')}`);
  }
}

/**
 * A lease holder's write refused: the lease (a rollout's driver, an autopilot pair's reconcile) is no longer this
 * control plane's — it expired and another took it, or what it covered was deleted. Thrown inside the write's
 * transaction, so nothing was written.
 */
export class LeaseLostError extends ConflictError {
  constructor(what: string) {
    super(`lease on ${what} lost`);
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
}

/** Well-formed, but the content cannot be used (422): a file onnxruntime cannot load, a deployment with no targets. */
export class UnprocessableError extends DomainError {
  readonly status = 422;
}

/** A device message (progress, report) names a device this control plane does not know. */
export class UnknownDeviceError extends NotFoundError {
  constructor(deviceId: string) {
    super('device', deviceId);
  }
}

/** A device message names a deployment that does not target that device. */
export class UnknownDeploymentError extends NotFoundError {
  constructor(deploymentId: string, deviceId: string) {
    super('deployment', deploymentId);
    this.message = `deployment ${JSON.stringify(deploymentId)} does not target device ${JSON.stringify(deviceId)}`;
  }
}

/** A device reports about bytes other than the ones the deployment delivers. */
export class ArtifactMismatchError extends UnprocessableError {
  constructor(deploymentId: string, expected: string, got: string) {
    super(`deployment ${deploymentId} delivers artifact ${expected}, the device reported ${got}`);
  }
}

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError;
