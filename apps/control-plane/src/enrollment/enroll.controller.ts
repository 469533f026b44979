import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { EnrollDto, EnrollmentView } from './enrollment.dto';
import { EnrollmentService } from './enrollment.service';

/** Public by design: the enrollment token in the body is the authentication. */
@ApiTags('enrollment')
@ApiErrorResponses()
@Controller('enroll')
export class EnrollController {
  constructor(private readonly enrollment: EnrollmentService) {}

  @Post()
  @Public()
  @ApiOperation({ summary: 'A device presents an enrollment token and receives its MQTT credential (shown once) and the trusted signing keys' })
  @ApiCreatedResponse({ type: EnrollmentView })
  async enroll(@Body() body: EnrollDto): Promise<EnrollmentView> {
    const e = await this.enrollment.enroll(body);
    return {
      deviceId: e.deviceId,
      mqtt: { clientId: e.deviceId, username: e.credential.username, password: e.credential.password },
      trustedKeys: e.trustedKeys,
    };
  }
}
