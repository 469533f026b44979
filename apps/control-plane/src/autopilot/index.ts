export { AutopilotModule } from './autopilot.module';
export { AutopilotConfig } from './autopilot.config';
export { AutopilotService, type ReconcileOutcome } from './autopilot.service';
export { AutopilotScheduler } from './autopilot.scheduler';
export { TargetsService, type CreateTarget } from './target.service';
export { plan as planAutopilot, type Plan, type PlanInput } from './autopilot.planner';
export * from './autopilot.types';
