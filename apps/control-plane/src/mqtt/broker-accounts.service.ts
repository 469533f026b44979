import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '@edgefleet/platform';
import { MqttBrokerService } from './mqtt-broker.service';
import { MqttPublisher } from './mqtt-publisher.service';
import { deviceRole, deviceRoleName } from './dynsec';

const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
/** Generous: a loaded broker (the 1,000-device bench at load 30) answered later than 5 s, and the device could not log in. */
const DYNSEC_TIMEOUT_MS = 30_000;

interface DynsecResponse { command: string; error?: string; correlationData?: string }

/**
 * Keeps the broker's idea of who may log in in step with the database, and throws revoked devices off at once:
 * - embedded Aedes: logins are checked against the database, so only live connections need closing;
 * - Mosquitto with MQTT_DYNSEC=true: each device is a dynamic-security client (username = client id = device
 *   id, its own role, mqtt/dynsec.ts) created/deleted over $CONTROL — deleting a client disconnects it;
 * - any other external broker: its own configuration decides (regenerate the password file, or use the
 *   EMQX HTTP hooks); the control plane still refuses every message of a revoked device (DeviceMessageRunner).
 */
@Injectable()
export class BrokerAccountsService {
  private readonly logger = new Logger('BrokerAccounts');
  private readonly pending = new Map<string, (r: DynsecResponse) => void>();
  private listening?: Promise<void>;

  constructor(private readonly config: AppConfig, private readonly broker: MqttBrokerService, private readonly publisher: MqttPublisher) {}

  /** A device got a (new) secret: a session opened with the old one must end. */
  async granted(deviceId: string, password: string): Promise<void> {
    if (this.config.mqttDynsec) {
      // Deleting the client first ends a session opened with the old secret (the plugin kicks deleted clients).
      await this.dynsec([{ command: 'deleteClient', username: deviceId }], ['Client not found']);
      await this.dynsec([{ command: 'createRole', ...deviceRole(deviceId) }], ['Role already exists']);
      await this.dynsec([{ command: 'createClient', username: deviceId, clientid: deviceId, password, roles: [{ rolename: deviceRoleName(deviceId) }] }]);
      return;
    }
    this.broker.disconnect(deviceId);
  }

  /** A device was deleted: refuse its logins and end its session now. */
  async revoked(deviceId: string): Promise<void> {
    if (this.config.mqttDynsec) {
      await this.dynsec([{ command: 'deleteClient', username: deviceId }], ['Client not found']);
      await this.dynsec([{ command: 'deleteRole', rolename: deviceRoleName(deviceId) }], ['Role not found']);
      return;
    }
    if (!this.broker.embedded) {
      this.logger.warn(`device ${deviceId} revoked: the external broker keeps its login until its password file is regenerated (npm run broker:mosquitto-config); the control plane ignores its messages from now on`);
    }
    this.broker.disconnect(deviceId);
  }

  private async dynsec(commands: Array<Record<string, unknown>>, tolerated: string[] = []): Promise<void> {
    this.listening ??= this.publisher.subscribe(`${DYNSEC_TOPIC}/response`, (_t, payload) => this.onResponse(payload));
    await this.listening;
    const ids = commands.map(() => randomUUID());
    const answers = ids.map((id) => new Promise<DynsecResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Mosquitto dynamic-security did not answer within ${DYNSEC_TIMEOUT_MS} ms (is the plugin loaded and the service identity its admin?)`));
      }, DYNSEC_TIMEOUT_MS);
      this.pending.set(id, (r) => { clearTimeout(timer); resolve(r); });
    }));
    // Observed before the publish is awaited: a publish slower than the timeout (a loaded broker) or one that fails
    // must not leave the timeout's rejection unhandled — that ended the process (found by the 1,000-device bench).
    const all = Promise.all(answers);
    all.catch(() => undefined);
    const body = { commands: commands.map((c, i) => ({ ...c, correlationData: ids[i] })) };
    await this.publisher.publish(DYNSEC_TOPIC, JSON.stringify(body), { qos: 1 });
    for (const r of await all) {
      if (r.error && !tolerated.includes(r.error)) throw new Error(`Mosquitto dynamic-security ${r.command}: ${r.error}`);
    }
  }

  private onResponse(payload: Buffer): void {
    let parsed: { responses?: DynsecResponse[] };
    try {
      parsed = JSON.parse(payload.toString('utf8')) as { responses?: DynsecResponse[] };
    } catch {
      return;
    }
    for (const r of parsed.responses ?? []) {
      const resolve = r.correlationData ? this.pending.get(r.correlationData) : undefined;
      if (!resolve) continue;
      this.pending.delete(r.correlationData!);
      resolve(r);
    }
  }
}
