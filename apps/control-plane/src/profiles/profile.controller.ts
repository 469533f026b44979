import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiController } from '../openapi/api-controller.decorator';
import { ProfileClassListView, toProfileClassView } from './profile.dto';
import { ProfilesService } from './profile.service';
import { Roles } from '../auth/roles';

@ApiController('profiles')
@Roles('viewer')
export class ProfileController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get()
  @ApiOperation({ summary: 'Hardware classes of the fleet: id, an example profile and how many devices share it' })
  @ApiOkResponse({ type: ProfileClassListView })
  async list(): Promise<ProfileClassListView> {
    return { items: (await this.profiles.list()).map(toProfileClassView) };
  }
}
