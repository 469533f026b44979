/**
 * A segment's selector: every criterion given must hold (AND); within a criterion any of its values will do (OR).
 * An empty selector matches every device. The one definition of the grammar — DeviceRepository.matching turns it
 * into a query, the DTO (segment.dto.ts) validates it at the door.
 */
export interface SegmentSelector {
  /** Devices carrying any of these tags. */
  tags?: string[];
  /** Devices of any of these hardware classes (GET /api/v1/profiles). */
  profileClasses?: string[];
  /** Devices whose agent reported any of these versions. */
  agentVersions?: string[];
  /** Devices running any of these model artifacts; `none` selects devices that run no model. */
  activeArtifactIds?: string[];
  /** Only these devices (combined with the other criteria like any other). */
  deviceIds?: string[];
  /** Never these devices. */
  excludeDeviceIds?: string[];
}

export const SELECTOR_KEYS = ['tags', 'profileClasses', 'agentVersions', 'activeArtifactIds', 'deviceIds', 'excludeDeviceIds'] as const satisfies ReadonlyArray<keyof SegmentSelector>;

/** The selector with only the given, non-empty criteria, as plain arrays (a DTO instance must not reach a JSON column). */
export function plainSelector(s: SegmentSelector): SegmentSelector {
  const out: SegmentSelector = {};
  for (const k of SELECTOR_KEYS) {
    const v = s[k];
    if (v !== undefined) out[k] = [...new Set(v)];
  }
  return out;
}

export interface SegmentRecord {
  id: string;
  name: string;
  selector: SegmentSelector;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a selector matches now: how many devices, how many per class, and the first few. */
export interface SegmentPreview {
  count: number;
  classes: Record<string, number>;
  sample: Array<{ id: string; profileClass: string; tags: string[]; agentVersion: string | null; activeArtifactId: string | null }>;
}
