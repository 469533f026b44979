import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { validateAs } from '@edgefleet/contracts';
import { AppConfig } from '../config/app-config';
import { InvalidInputError } from '../common/errors';
import { PageQueryDto } from '../common/pagination.dto';
import { ArtifactStore } from '../artifacts/artifact.store';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { discardAll, readDatasetUpload } from './dataset-upload.reader';
import { DatasetsService } from './dataset.service';
import { DatasetPageView, DatasetView, RegisterBuiltinDatasetDto, toDatasetView, UploadDatasetFieldsDto, UploadDatasetFormDoc } from './dataset.dto';
import { Roles } from '../auth/roles';

@ApiTags('datasets')
@ApiBearerAuth()
@ApiErrorResponses()
@ApiExtraModels(UploadDatasetFormDoc, RegisterBuiltinDatasetDto)
@Roles('viewer')
@Controller('datasets')
export class DatasetController {
  constructor(private readonly datasets: DatasetsService, private readonly store: ArtifactStore, private readonly config: AppConfig) {}

  @Roles('operator')
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Upload a data set (multipart: four IDX parts or one csv part) or register a built-in one (JSON {builtin})' })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({ schema: { oneOf: [{ $ref: getSchemaPath(UploadDatasetFormDoc) }, { $ref: getSchemaPath(RegisterBuiltinDatasetDto) }] } })
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
    const { name, ...opts } = fields.value;
    return toDatasetView(await this.datasets.upload(name, { ...opts }, parts));
  }

  @Get()
  @ApiOkResponse({ type: DatasetPageView })
  async list(@Query() q: PageQueryDto): Promise<DatasetPageView> {
    const page = await this.datasets.list(q);
    return { ...page, items: page.items.map(toDatasetView) };
  }

  @Get(':id')
  @ApiOkResponse({ type: DatasetView })
  async get(@Param('id') id: string): Promise<DatasetView> {
    return toDatasetView(await this.datasets.get(id));
  }
}
