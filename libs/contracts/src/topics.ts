/**
 * MQTT topic layout, protocol version 1. Everything a device and the control plane exchange lives under
 * `edgefleet/v1/devices/<deviceId>/…`. Device ids are restricted to [A-Za-z0-9._-] so they are safe in topics.
 *
 * device → control plane            control plane → device
 *   hello        (QoS 1)              desired      (QoS 1, retained)
 *   status       (QoS 1, retained,    block/<sha256>/<index>  (QoS 1, binary payload)
 *                 also the last will)  rejected     (QoS 0: why an inbound message was refused)
 *   state        (QoS 1: answer to query) ack          (QoS 1: a progress/report/telemetry with msgId is stored)
 *                                      query        (QoS 1: a stalled device is asked for its state)
 *   block-req    (QoS 1)
 *   progress     (QoS 1)
 *   report       (QoS 1)
 *   telemetry    (QoS 1, acked once its windows are committed; stored once by window id)
 */
export const PROTOCOL_VERSION = 1 as const;
export const TOPIC_ROOT = 'edgefleet/v1/devices';
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export const topics = {
  hello: (id: string) => `${TOPIC_ROOT}/${id}/hello`,
  status: (id: string) => `${TOPIC_ROOT}/${id}/status`,
  blockRequest: (id: string) => `${TOPIC_ROOT}/${id}/block-req`,
  progress: (id: string) => `${TOPIC_ROOT}/${id}/progress`,
  report: (id: string) => `${TOPIC_ROOT}/${id}/report`,
  telemetry: (id: string) => `${TOPIC_ROOT}/${id}/telemetry`,
  desired: (id: string) => `${TOPIC_ROOT}/${id}/desired`,
  block: (id: string, sha256: string, index: number) => `${TOPIC_ROOT}/${id}/block/${sha256}/${index}`,
  blockWildcard: (id: string) => `${TOPIC_ROOT}/${id}/block/#`,
  rejected: (id: string) => `${TOPIC_ROOT}/${id}/rejected`,
  ack: (id: string) => `${TOPIC_ROOT}/${id}/ack`,
  query: (id: string) => `${TOPIC_ROOT}/${id}/query`,
  state: (id: string) => `${TOPIC_ROOT}/${id}/state`,
} as const;

/** Subscriptions of the control plane (one `+` level for the device id). */
export const controlPlaneSubscriptions = {
  hello: `${TOPIC_ROOT}/+/hello`,
  status: `${TOPIC_ROOT}/+/status`,
  blockRequest: `${TOPIC_ROOT}/+/block-req`,
  progress: `${TOPIC_ROOT}/+/progress`,
  report: `${TOPIC_ROOT}/+/report`,
  telemetry: `${TOPIC_ROOT}/+/telemetry`,
  state: `${TOPIC_ROOT}/+/state`,
} as const;

/** What a device may publish, each on its own `…/devices/<id>/<kind>` topic (the broker ACLs are built from it). */
export const DEVICE_TOPIC_KINDS = ['hello', 'status', 'block-req', 'progress', 'report', 'state', 'telemetry'] as const;
export type DeviceTopicKind = (typeof DEVICE_TOPIC_KINDS)[number];

/** Splits `edgefleet/v1/devices/<id>/<kind>`; undefined when the topic is not a device → control plane topic. */
export function parseDeviceTopic(topic: string): { deviceId: string; kind: DeviceTopicKind } | undefined {
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length).split('/');
  if (rest.length !== 2) return undefined;
  const [deviceId, kind] = rest as [string, string];
  if (!DEVICE_ID_PATTERN.test(deviceId)) return undefined;
  return (DEVICE_TOPIC_KINDS as readonly string[]).includes(kind) ? { deviceId, kind: kind as DeviceTopicKind } : undefined;
}

/** Largest block the control plane sends (AWS IoT's MQTT file delivery uses ≤ 128 KB blocks too). */
export const MAX_BLOCK_SIZE = 128 * 1024;
export const DEFAULT_BLOCK_SIZE = 64 * 1024;

/**
 * Largest MQTT packet the brokers accept (embedded Aedes closes the connection at the packet's header; the
 * generated Mosquitto config sets max_packet_size): a block plus its topic, with room to spare.
 */
export const MAX_MQTT_PACKET_BYTES = 256 * 1024;
