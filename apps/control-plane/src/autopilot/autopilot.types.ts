import type { AutopilotStatus } from '@edgefleet/db';

export type AutopilotStatusName = AutopilotStatus;
export const AUTOPILOT_STATUSES: readonly AutopilotStatusName[] = ['selecting', 'distilling', 'deploying', 'active', 'rejected', 'infeasible', 'failed'];

/** What a target asks of every model it runs (the deployment gates are the same numbers). */
export interface FleetBudget {
  maxLatencyP95Ms: number;
  maxMemoryMb?: number;
  minAccuracy?: number;
}

export interface FleetSelector {
  /** Devices carrying any of these tags; none = every device. */
  tags?: string[];
}

/** How a student is distilled for a class no variant fits. */
export interface FleetDistillSettings {
  datasetId: string;
  teacherArtifactId?: string;
  /** Text data sets: the teacher, as POST /distillations takes it (use-lite, fasttext-lid, openai:<url>#<model>). */
  textTeacher?: string;
  /** Text data sets: the students' featurizer (default: the engine's), so students match the family's input width. */
  featurizer?: Record<string, unknown>;
  epochs?: number;
  temperature?: number;
  alpha?: number;
  labeledFraction?: number;
}

export interface TargetRecord {
  id: string;
  name: string;
  family: string;
  selector: FleetSelector;
  budget: FleetBudget;
  distill?: FleetDistillSettings;
  createdBy: string | null;
  /** Set while an operator has paused the autopilot for this target. */
  pausedAt: Date | null;
  pausedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A device the autopilot leaves alone. */
export interface PinRecord {
  deviceId: string;
  reason: string | null;
  pinnedBy: string;
  createdAt: Date;
}

export interface ClassStateRecord {
  targetId: string;
  profileClass: string;
  status: AutopilotStatusName;
  decision: string | null;
  chosenArtifactId: string | null;
  distillationJobId: string | null;
  deploymentId: string | null;
  reason: string | null;
  details: unknown;
  updatedAt: Date;
}

/** The actor recorded on deployments the autopilot makes for a target (how its rejections are found again). */
export const autopilotActor = (targetId: string) => `autopilot:${targetId}`;
