/** The embedded broker could not bind its port; the message is the one line bootstrap prints before exiting. */
export class MqttPortInUseError extends Error {
  override name = 'MqttPortInUseError';
  constructor(readonly host: string, readonly port: number) {
    super(
      `MQTT port ${port} on ${host} is already in use: set MQTT_PORT to a free port (0 = any free port) ` +
        `or MQTT_URL to use an external broker`,
    );
  }
}

/** The embedded broker failed to start for another reason (permissions, bad host, …). */
export class MqttBrokerStartError extends Error {
  override name = 'MqttBrokerStartError';
  constructor(readonly host: string, readonly port: number, cause: Error) {
    super(`embedded MQTT broker could not listen on ${host}:${port}: ${cause.message}`, { cause });
  }
}

/** A publish was attempted while the control plane's MQTT connection is not usable. */
export class MqttPublishError extends Error {
  override name = 'MqttPublishError';
  constructor(readonly topic: string, cause: Error) {
    super(`MQTT publish to ${topic} failed: ${cause.message}`, { cause });
  }
}

/** Could not reach the broker when the control plane started. */
export class MqttConnectError extends Error {
  override name = 'MqttConnectError';
  constructor(readonly url: string, cause: Error) {
    super(`cannot connect to the MQTT broker at ${url}: ${cause.message}`, { cause });
  }
}
