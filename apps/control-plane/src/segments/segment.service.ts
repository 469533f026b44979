import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@edgefleet/platform';
import type { Page } from '@edgefleet/platform';
import { AuditRepository } from '@edgefleet/platform';
import type { Actor } from '@edgefleet/platform';
import { DeviceRepository } from '../devices/device.repository';
import { SegmentRepository } from './segment.repository';
import { plainSelector, type SegmentPreview, type SegmentRecord, type SegmentSelector } from './segment.types';

/** How many matching devices a preview lists. */
export const PREVIEW_SAMPLE = 20;

/** Saved device selectors, and what they match now. */
@Injectable()
export class SegmentsService {
  constructor(private readonly segments: SegmentRepository, private readonly devices: DeviceRepository, private readonly audit: AuditRepository) {}

  preview(selector: SegmentSelector): Promise<SegmentPreview> {
    return this.devices.preview(plainSelector(selector), PREVIEW_SAMPLE);
  }

  async create(input: { name: string; selector: SegmentSelector }, actor: Actor): Promise<SegmentRecord> {
    const s = await this.segments.create({ name: input.name, selector: plainSelector(input.selector), createdBy: actor });
    await this.audit.record({ actor, action: 'segment.create', entityType: 'segment', entityId: s.id, details: { name: s.name, selector: s.selector } });
    return s;
  }

  async get(id: string): Promise<SegmentRecord> {
    const s = await this.segments.find(id);
    if (!s) throw new NotFoundError('segment', id);
    return s;
  }

  async list(page: { limit: number; offset: number }): Promise<Page<SegmentRecord>> {
    return { ...(await this.segments.list(page)), ...page };
  }

  async update(id: string, changes: { name?: string; selector?: SegmentSelector }, actor: Actor): Promise<SegmentRecord> {
    const s = await this.segments.update(id, { name: changes.name, selector: changes.selector ? plainSelector(changes.selector) : undefined });
    if (!s) throw new NotFoundError('segment', id);
    await this.audit.record({ actor, action: 'segment.update', entityType: 'segment', entityId: id, details: { name: s.name, selector: s.selector } });
    return s;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    if (!(await this.segments.delete(id))) throw new NotFoundError('segment', id);
    await this.audit.record({ actor, action: 'segment.delete', entityType: 'segment', entityId: id });
  }
}
