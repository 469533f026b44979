// Backoff lives in libs/toolkit (the control plane retries with it too); re-exported for the agent's modules.
export { backoffDelay, sleep, type BackoffOptions } from '@edgefleet/toolkit';
