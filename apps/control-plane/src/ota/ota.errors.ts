import { InvalidInputError, NotFoundError } from '@edgefleet/platform';

/** A caller built a desired state the contract rejects; publishing it would make every agent refuse it. */
export class InvalidDesiredStateError extends Error {
  override name = 'InvalidDesiredStateError';
  constructor(readonly deviceId: string, readonly problems: string[]) {
    super(`desired state for ${deviceId} is invalid: ${problems.join('; ')}`);
  }
}

/** A device asked for blocks of bytes the artifact store does not hold. */
export class UnknownObjectError extends NotFoundError {
  constructor(sha256: string) {
    super('object', sha256);
  }
}

/** A device asked for a block past the end of the object. */
export class BlockOutOfRangeError extends InvalidInputError {
  constructor(sha256: string, index: number, totalBlocks: number, blockSize: number) {
    super(`block ${index} of ${sha256} is out of range: the object has ${totalBlocks} blocks of ${blockSize} bytes`);
  }
}
