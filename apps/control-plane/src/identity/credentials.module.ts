import { Module } from '@nestjs/common';
import { DeviceCredentialRepository } from './device-credential.repository';
import { DeviceCredentialService } from './device-credential.service';

/**
 * Device credentials (hash, verify, enrolled?). No broker dependency, so the broker (which verifies logins)
 * and the services that issue and revoke credentials can both import it without a module cycle.
 */
@Module({
  providers: [DeviceCredentialRepository, DeviceCredentialService],
  exports: [DeviceCredentialRepository, DeviceCredentialService],
})
export class CredentialsModule {}
