import { DEVICE_ID_PATTERN, parseDeviceTopic, TOPIC_ROOT } from '@edgefleet/contracts';

/**
 * Who may say what on the broker — the one statement of the rules. The embedded Aedes applies these functions
 * directly; the generated Mosquitto configuration (broker/mosquitto-config.ts) and the EMQX HTTP authorization
 * endpoint express the same rules, and the attack tests check all of them.
 *
 * - the control plane (service identity) may publish and subscribe anywhere under `edgefleet/`;
 * - device `d` may publish only `edgefleet/v1/devices/d/<kind>` (kinds: DEVICE_TOPIC_KINDS) and subscribe
 *   only below `edgefleet/v1/devices/d/`; `#`, `$SYS/…` and other devices' topics are refused;
 * - `lab` is the explicit, loudly logged MQTT_ALLOW_ANONYMOUS mode: anything under `edgefleet/`.
 */
export const SERVICE_USERNAME = 'edgefleet-control-plane';
/** Client ids of the control plane's own connections; devices may not use them (nor the service username). */
export const SERVICE_CLIENT_ID_PREFIX = 'edgefleet-cp-';
const ROOT = 'edgefleet/';
/** Role names in the generated Mosquitto dynamic-security configuration (a device's: `edgefleet-device:<id>`). */
export const DEVICE_ROLE = 'edgefleet-device';
export const SERVICE_ROLE = 'edgefleet-control-plane';

export type BrokerIdentity = { kind: 'service' } | { kind: 'device'; deviceId: string } | { kind: 'lab' };

/** Device ids that would collide with the control plane's identity on the broker. */
export const isReservedDeviceId = (id: string): boolean => id === SERVICE_USERNAME || id.startsWith(SERVICE_CLIENT_ID_PREFIX);

/** A client id / username pair a device may connect with: both the device id. */
export const isDeviceLogin = (clientId: string, username: string | undefined): boolean =>
  username !== undefined && clientId === username && DEVICE_ID_PATTERN.test(clientId) && !isReservedDeviceId(clientId);

export function mayPublish(who: BrokerIdentity, topic: string): boolean {
  switch (who.kind) {
    case 'service':
    case 'lab':
      return topic.startsWith(ROOT);
    case 'device':
      return parseDeviceTopic(topic)?.deviceId === who.deviceId;
  }
}

/** Filters may contain wildcards; a device's filter must start with its own literal prefix. */
export function maySubscribe(who: BrokerIdentity, filter: string): boolean {
  switch (who.kind) {
    case 'service':
    case 'lab':
      return filter.startsWith(ROOT);
    case 'device':
      return filter.startsWith(devicePrefix(who.deviceId)) && filter.length > devicePrefix(who.deviceId).length;
  }
}

/** Checked again on delivery (authorizeForward), so a rule mistake in maySubscribe cannot leak messages. */
export function mayReceive(who: BrokerIdentity, topic: string): boolean {
  if (who.kind === 'device') return topic.startsWith(devicePrefix(who.deviceId));
  return topic.startsWith(ROOT);
}

export const devicePrefix = (deviceId: string): string => `${TOPIC_ROOT}/${deviceId}/`;
