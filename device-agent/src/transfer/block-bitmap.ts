/** Which blocks of an object are on disk: one bit per block, persisted as base64. */
export class BlockBitmap {
  private readonly bits: Uint8Array;
  private received = 0;

  constructor(readonly total: number, bits?: Uint8Array) {
    if (!Number.isInteger(total) || total < 0) throw new RangeError(`bad block count ${total}`);
    const bytes = Math.ceil(total / 8);
    this.bits = new Uint8Array(bytes);
    if (bits) {
      if (bits.length !== bytes) throw new RangeError(`bitmap has ${bits.length} bytes, ${total} blocks need ${bytes}`);
      this.bits.set(bits);
      // Bits past `total` would make `count` lie; clear them.
      if (total % 8 !== 0) this.bits[bytes - 1]! &= (1 << total % 8) - 1;
      for (let i = 0; i < total; i++) if (this.has(i)) this.received++;
    }
  }

  static forSize(size: number, blockSize: number): BlockBitmap {
    return new BlockBitmap(blockCount(size, blockSize));
  }

  static fromBase64(total: number, b64: string): BlockBitmap {
    return new BlockBitmap(total, Buffer.from(b64, 'base64'));
  }

  has(i: number): boolean {
    return i >= 0 && i < this.total && (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Returns false when the block was already set (a duplicate delivery). */
  set(i: number): boolean {
    if (!Number.isInteger(i) || i < 0 || i >= this.total) throw new RangeError(`block ${i} outside 0..${this.total - 1}`);
    if (this.has(i)) return false;
    this.bits[i >> 3]! |= 1 << (i & 7);
    this.received++;
    return true;
  }

  get count(): number {
    return this.received;
  }

  get complete(): boolean {
    return this.received === this.total;
  }

  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.total; i++) if (!this.has(i)) out.push(i);
    return out;
  }

  toBase64(): string {
    return Buffer.from(this.bits).toString('base64');
  }
}

export const blockCount = (size: number, blockSize: number) => Math.ceil(size / blockSize);

/** Length of block `index`: every block is `blockSize` except possibly the last. */
export function blockLength(index: number, size: number, blockSize: number): number {
  return Math.min(blockSize, size - index * blockSize);
}
