import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { ProfileController } from './profile.controller';
import { ProfilesService } from './profile.service';

@Module({ imports: [DevicesModule], controllers: [ProfileController], providers: [ProfilesService], exports: [ProfilesService] })
export class ProfilesModule {}
