import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { CredentialsModule } from '../identity/credentials.module';
import { OtaModule } from '../ota/ota.module';
import { EnrollController } from './enroll.controller';
import { EnrollmentTokenController } from './enrollment-token.controller';
import { EnrollmentTokenRepository } from './enrollment-token.repository';
import { EnrollmentService } from './enrollment.service';

@Module({
  imports: [DevicesModule, CredentialsModule, OtaModule],
  controllers: [EnrollmentTokenController, EnrollController],
  providers: [EnrollmentTokenRepository, EnrollmentService],
})
export class EnrollmentModule {}
