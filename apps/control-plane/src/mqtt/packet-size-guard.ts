import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** Thrown (as the stream's error) when a client announces a packet larger than the limit. */
export class PacketTooLargeError extends Error {
  constructor(readonly length: number, readonly limit: number) {
    super(`MQTT packet of ${length} bytes announced, the limit is ${limit}`);
  }
}

/**
 * A connection wrapper that reads MQTT's fixed headers as bytes pass and destroys the socket as soon as a
 * packet announces a remaining length over `limit` — before its body is buffered. Aedes (mqtt-packet) has no
 * size limit of its own and would buffer a 100 MB publish whole. Hand-written because no kept library does
 * this for Aedes; it is ~40 lines of the MQTT framing rules (fixed header byte + 1–4 byte varint length).
 */
export class PacketSizeGuard extends Duplex {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private remaining = 0;

  constructor(private readonly socket: Socket, private readonly limit: number) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      const err = this.scan(chunk);
      if (err) {
        socket.destroy();
        this.destroy(err);
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** Mirrors what Aedes reads from a socket (logging, proxies). */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** The TLS peer certificate, when the socket is a TLSSocket (mutual TLS). */
  get underlying(): Socket {
    return this.socket;
  }

  private scan(chunk: Buffer): PacketTooLargeError | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
      } else if (this.state === 'length') {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        if (this.length > this.limit) return new PacketTooLargeError(this.length, this.limit);
        if ((byte & 0x80) === 0) {
          this.remaining = this.length;
          this.state = this.remaining === 0 ? 'type' : 'body';
        } else if (this.multiplier > 128 ** 4) {
          return new PacketTooLargeError(Number.POSITIVE_INFINITY, this.limit); // malformed varint
        }
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    return undefined;
  }

  override _read(): void {
    this.socket.resume();
  }

  /**
   * Outgoing bytes go to the socket as they come, the next chunk taken as soon as the socket accepts one (its
   * 'drain' when it says it is full), not after the kernel took the last: Aedes corks a packet's header, topic and
   * payload and every packet of one tick, and they leave as one writev (`_writev`) instead of a syscall per chunk
   * in strict sequence — that was 15 % of the telemetry ingest's CPU (docs/telemetry.md).
   */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.forward([chunk], cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.forward(chunks.map((c) => c.chunk), cb);
  }

  private forward(chunks: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return cb();
    // A write error destroys the socket, and its 'error' destroys this stream (constructor): no callback needed.
    if (chunks.length > 1) this.socket.cork();
    let accepted = true;
    for (const c of chunks) accepted = this.socket.write(c);
    if (chunks.length > 1) this.socket.uncork();
    if (accepted || this.socket.destroyed) return cb();
    const go = () => {
      this.socket.off('close', go);
      this.socket.off('drain', go);
      cb();
    };
    this.socket.once('drain', go);
    this.socket.once('close', go);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
