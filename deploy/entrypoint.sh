#!/bin/sh
# Container entrypoint: turns secrets mounted as files into the environment variables the control plane reads.
#  - FOO_FILE=/run/secrets/foo  →  FOO=<content of the file>   (for any FOO; the file's trailing newline is dropped)
#  - MQTT_ENV_FILE=<path>       →  the KEY=value lines of the file `npm run broker:mosquitto-config` wrote
#                                  (control-plane.env), for keys not already set (so MQTT_URL given here wins)
set -eu
for pair in $(env | grep -o '^[A-Z0-9_]*_FILE=' | sed 's/=$//'); do
  [ "$pair" = MQTT_ENV_FILE ] && continue
  name=${pair%_FILE}
  file=$(printenv "$pair")
  [ -r "$file" ] || { echo "edgefleet-entrypoint: $pair=$file is not readable" >&2; exit 1; }
  export "$name=$(cat "$file")"
  unset "$pair"
done
if [ -n "${MQTT_ENV_FILE:-}" ]; then
  [ -r "$MQTT_ENV_FILE" ] || { echo "edgefleet-entrypoint: MQTT_ENV_FILE=$MQTT_ENV_FILE is not readable" >&2; exit 1; }
  while IFS='=' read -r key value; do
    [ -z "$key" ] && continue
    [ -z "$(printenv "$key" || true)" ] && export "$key=$value"
  done < "$MQTT_ENV_FILE"
  unset MQTT_ENV_FILE
fi
exec "$@"
