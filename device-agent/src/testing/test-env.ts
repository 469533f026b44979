import { connect } from 'node:net';

/** The one place tests read the environment: CI=true turns "skip when the broker is down" into a failure. */
export const isCi = (): boolean => process.env.CI === 'true';

/** The machine's shared Mosquitto (run these tests under the suite lock). */
export const SHARED_BROKER = 'mqtt://127.0.0.1:1883';

export const brokerUp = (): Promise<boolean> =>
  new Promise<boolean>((resolve) => {
    const s = connect(1883, '127.0.0.1');
    s.once('connect', () => (s.end(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** Skip reason when the shared broker is down (a failure under CI=true). */
export async function sharedBrokerSkip(): Promise<string | false> {
  if (await brokerUp()) return false;
  if (isCi()) throw new Error('CI=true but Mosquitto is not reachable at 127.0.0.1:1883');
  return 'Mosquitto not reachable at 127.0.0.1:1883';
}

let uniq = 0;
/** A device id no other test (or test process) uses, so topics never collide on the shared broker. */
export const uniqueDeviceId = (what: string): string => `t-${what}-${process.pid}-${Date.now().toString(36)}-${uniq++}`;
