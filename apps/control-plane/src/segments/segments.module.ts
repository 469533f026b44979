import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { SegmentController } from './segment.controller';
import { SegmentRepository } from './segment.repository';
import { SegmentsService } from './segment.service';

@Module({
  imports: [DevicesModule],
  controllers: [SegmentController],
  providers: [SegmentRepository, SegmentsService],
  exports: [SegmentsService],
})
export class SegmentsModule {}
