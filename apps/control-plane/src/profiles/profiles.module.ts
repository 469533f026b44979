import { Module } from '@nestjs/common';
import { ProfileController } from './profile.controller';
import { ProfileRepository } from './profile.repository';
import { ProfilesService } from './profile.service';

@Module({ controllers: [ProfileController], providers: [ProfileRepository, ProfilesService], exports: [ProfilesService] })
export class ProfilesModule {}
