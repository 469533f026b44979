import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { MqttContext } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import { runWithCorrelationId } from '@edgefleet/platform';

/** Same bounds as an HTTP caller's x-correlation-id: anything else is not echoed into the log. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Only the start of a payload is scanned for its id: a block request or a report is small, a bomb is not read. */
const ID_SCAN_BYTES = 4096;

/**
 * Every log line written while a device message is handled carries a correlation id, as an HTTP request's do:
 * the message's own `msgId` when it has a sane one (so the device's resends and the control plane's lines about
 * them share it), else a fresh UUID per message.
 */
@Injectable()
export class DeviceMessageCorrelation implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const id = correlationIdOf(context.switchToRpc().getContext<MqttContext>());
    // The handler runs when the stream is subscribed: subscribe inside the scope so it (and its awaits) inherit it.
    return new Observable((subscriber) => runWithCorrelationId(id, () => next.handle().subscribe(subscriber)));
  }
}

/** The correlation id of a device message: its own sane `msgId`, else a fresh UUID. */
export const correlationIdOf = (ctx: MqttContext): string => messageIdOf(ctx) ?? randomUUID();

export function messageIdOf(ctx: MqttContext): string | undefined {
  const payload: unknown = ctx.getPacket()?.payload;
  if (!(payload instanceof Uint8Array) && typeof payload !== 'string') return undefined;
  const head = typeof payload === 'string' ? payload.slice(0, ID_SCAN_BYTES) : Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, ID_SCAN_BYTES)).toString('utf8');
  const m = /"msgId"\s*:\s*"([^"\\]{1,128})"/.exec(head);
  return m && SAFE_ID.test(m[1]!) ? m[1] : undefined;
}
