import { DEVICE_TOPIC_KINDS, TOPIC_ROOT } from '@edgefleet/contracts';
import { DEVICE_ROLE } from './broker-policy';

/**
 * Mosquitto dynamic-security objects for devices, shared by the config generator (whole JSON) and
 * BrokerAccountsService (live $CONTROL commands). Mosquitto 2.0's plugin does not expand `%u`/`%c` in role
 * ACLs, so each device gets its own role with literal topics — the rules of broker-policy.ts, spelled out.
 */
export type DynsecAcl = { acltype: string; topic: string; priority: number; allow: boolean };
export const allowAcl = (acltype: string, topic: string): DynsecAcl => ({ acltype, topic, priority: 0, allow: true });

export const deviceRoleName = (deviceId: string): string => `${DEVICE_ROLE}:${deviceId}`;

export function deviceRole(deviceId: string): { rolename: string; acls: DynsecAcl[] } {
  const own = `${TOPIC_ROOT}/${deviceId}/#`;
  return {
    rolename: deviceRoleName(deviceId),
    acls: [
      ...DEVICE_TOPIC_KINDS.map((kind) => allowAcl('publishClientSend', `${TOPIC_ROOT}/${deviceId}/${kind}`)),
      allowAcl('publishClientReceive', own),
      allowAcl('subscribePattern', own),
      allowAcl('unsubscribePattern', own),
    ],
  };
}
