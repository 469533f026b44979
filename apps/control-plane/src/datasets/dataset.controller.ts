import { Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, getSchemaPath } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { validateAs } from '@edgefleet/contracts';
import { parseImageShape } from '@edgefleet/distill';
import { AppConfig, InvalidInputError, mapPage, Page, PageQueryDto, ArtifactStore } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { discardAll, readDatasetUpload, DatasetsService } from '@edgefleet/catalog';
import { DatasetView, RegisterBuiltinDatasetDto, toDatasetView, UploadDatasetFieldsDto, UploadDatasetFormDoc } from './dataset.dto';
import { Roles } from '../auth/roles';

@ApiController('datasets')
@ApiExtraModels(UploadDatasetFormDoc, RegisterBuiltinDatasetDto)
@Roles('viewer')
export class DatasetController {
  constructor(private readonly datasets: DatasetsService, private readonly store: ArtifactStore, private readonly config: AppConfig) {}

  @Roles('operator')
  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload a data set (multipart: four IDX parts, one csv part, or the text parts train + test [+ labels]) or register a built-in one (JSON {builtin})',
    // One body per content type: a JSON body is a built-in's registration, never the multipart form.
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': { schema: { $ref: getSchemaPath(UploadDatasetFormDoc) } },
        'application/json': { schema: { $ref: getSchemaPath(RegisterBuiltinDatasetDto) } },
      },
    },
  })
  @ApiCreatedResponse({ type: DatasetView })
  async create(@Req() req: FastifyRequest): Promise<DatasetView> {
    if (!req.isMultipart()) {
      const body = validateAs(RegisterBuiltinDatasetDto, req.body);
      if (!body.ok) throw new InvalidInputError(body.errors.join('; '), body.errors);
      return toDatasetView(await this.datasets.registerBuiltin(body.value.builtin, body.value.name));
    }
    const parts = await readDatasetUpload(req, this.store, this.config.maxModelBytes);
    const fields = validateAs(UploadDatasetFieldsDto, parts.fields);
    if (!fields.ok) {
      await discardAll(parts);
      throw new InvalidInputError(fields.errors.join('; '), fields.errors);
    }
    const { name, imageShape, ...opts } = fields.value;
    return toDatasetView(await this.datasets.upload(name, { ...opts, ...(imageShape ? { imageShape: parseImageShape(imageShape) } : {}) }, parts));
  }

  @Get()
  @ApiPageResponse(DatasetView)
  async list(@Query() q: PageQueryDto): Promise<Page<DatasetView>> {
    return mapPage(await this.datasets.list(q), toDatasetView);
  }

  @Get(':id')
  @ApiOkResponse({ type: DatasetView })
  async get(@Param('id') id: string): Promise<DatasetView> {
    return toDatasetView(await this.datasets.get(id));
  }
}
