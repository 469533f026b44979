// The control plane as a package: start one (tests, benches, the demo). Shared building blocks live in libs/.
export { startControlPlane, API_PREFIX } from './bootstrap';
export type { ControlPlane, StartOptions } from './bootstrap';
export { HttpPortInUseError } from './startup-errors';
export { DevicesService } from './devices/device.service';
export { DeploymentsService } from './deployments/deployment.service';
export { rollUpStatus, stateAfterProgress, stateAfterReport } from './deployments/deployment-state';
export { SelectionService, type RecommendationRequest, type RecommendationResult } from './selection/selection.service';
export * from './distillations';
export * from './autopilot';
