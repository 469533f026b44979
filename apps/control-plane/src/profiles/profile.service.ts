import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors';
import { ProfileRepository, type ProfileClassRecord } from './profile.repository';

@Injectable()
export class ProfilesService {
  constructor(private readonly repo: ProfileRepository) {}

  list(): Promise<ProfileClassRecord[]> {
    return this.repo.listClasses();
  }

  /** The class with this id (a profileClass hash); NotFoundError when no device has it. */
  async get(profileClass: string): Promise<ProfileClassRecord> {
    const found = await this.repo.findClass(profileClass);
    if (!found) throw new NotFoundError('profile class', profileClass);
    return found;
  }
}
