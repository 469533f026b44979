import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { ProfileClassListView, toProfileClassView } from './profile.dto';
import { ProfilesService } from './profile.service';
import { Roles } from '../auth/roles';

@ApiTags('profiles')
@ApiBearerAuth()
@ApiErrorResponses()
@Roles('viewer')
@Controller('profiles')
export class ProfileController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get()
  @ApiOperation({ summary: 'Hardware classes of the fleet: id, an example profile and how many devices share it' })
  @ApiOkResponse({ type: ProfileClassListView })
  async list(): Promise<ProfileClassListView> {
    return { items: (await this.profiles.list()).map(toProfileClassView) };
  }
}
