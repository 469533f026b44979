import { Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiController } from '../openapi/api-controller.decorator';
import { RecommendationQueryDto, RecommendationView, toRecommendationView } from './recommendation.dto';
import { SelectionService } from './selection.service';
import { Roles } from '../auth/roles';

@ApiController('profiles')
@Roles('viewer')
export class RecommendationController {
  constructor(private readonly selection: SelectionService) {}

  @Get(':id/recommendation')
  @ApiOperation({
    summary: 'The variant a hardware class should run under a budget',
    description: 'Every candidate of the family with predicted p95 latency and memory against the budget and why it was taken or '
      + 'rejected; when none fits, the student to distil, or "no feasible student" with the closest candidate. See docs/selection.md.',
  })
  @ApiParam({ name: 'id', description: 'profileClass (GET /profiles)' })
  @ApiOkResponse({ type: RecommendationView })
  async recommend(@Param('id') id: string, @Query() q: RecommendationQueryDto): Promise<RecommendationView> {
    return toRecommendationView(await this.selection.recommend(id, q));
  }
}
