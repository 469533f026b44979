import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@edgefleet/platform';
import { DeviceRepository, type ProfileClassRecord } from '../devices/device.repository';

/** Hardware classes are a view over the Device table, so they are read through its repository. */
@Injectable()
export class ProfilesService {
  constructor(private readonly devices: DeviceRepository) {}

  list(): Promise<ProfileClassRecord[]> {
    return this.devices.listProfileClasses();
  }

  /** The class with this id (a profileClass hash); NotFoundError when no device has it. */
  async get(profileClass: string): Promise<ProfileClassRecord> {
    const found = await this.devices.findProfileClass(profileClass);
    if (!found) throw new NotFoundError('profile class', profileClass);
    return found;
  }
}
