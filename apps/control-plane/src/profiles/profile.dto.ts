import { ApiProperty } from '@nestjs/swagger';
import { HardwareProfileDto } from '../common/contract-dtos';
import type { ProfileClassRecord } from '../devices/device.repository';

/** A hardware class: devices whose class-defining profile fields are equal (libs/contracts profileClassOf). */
export class ProfileClassView {
  @ApiProperty({ example: '3f9a0c1b2d4e5f60', description: 'Id of the class (use it as :id in /profiles/:id/...)' }) profileClass!: string;
  @ApiProperty({ type: HardwareProfileDto, description: 'Profile of one device of the class' }) example!: HardwareProfileDto;
  @ApiProperty() deviceCount!: number;
}

export class ProfileClassListView {
  @ApiProperty({ type: [ProfileClassView] }) items!: ProfileClassView[];
}

export const toProfileClassView = (r: ProfileClassRecord): ProfileClassView =>
  ({ profileClass: r.profileClass, example: r.example as HardwareProfileDto, deviceCount: r.deviceCount });
