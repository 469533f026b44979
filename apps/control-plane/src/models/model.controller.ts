import { Get, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBody, ApiConflictResponse, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation,
  ApiPayloadTooLargeResponse, ApiProduces, ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputSpec, inputSpecProblems, validateAs } from '@edgefleet/contracts';
import { AppConfig, InvalidInputError, ArtifactStore, mapPage, Page, sharedView } from '@edgefleet/platform';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ErrorView } from '../openapi/api-error-responses';
import { ApiPageResponse } from '../openapi/page.view';
import { readModelUpload } from './model-upload.reader';
import { ModelsService } from './model.service';
import { ListModelsQueryDto, ModelView, toModelView, UploadModelFieldsDto, UploadModelFormDoc } from './model.dto';
import { Roles } from '../auth/roles';

@ApiController('models')
@Roles('viewer')
export class ModelController {
  constructor(
    private readonly models: ModelsService,
    private readonly store: ArtifactStore,
    private readonly config: AppConfig,
  ) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Upload an ONNX model (and optionally its eval set); it is loaded in onnxruntime to check it' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadModelFormDoc })
  @ApiCreatedResponse({ type: ModelView })
  @ApiConflictResponse({ type: ErrorView, description: 'name + version + precision exists' })
  @ApiUnprocessableEntityResponse({ type: ErrorView, description: 'onnxruntime cannot load the file, or the eval set does not fit' })
  @ApiPayloadTooLargeResponse({ type: ErrorView })
  async upload(@Req() req: FastifyRequest, @CurrentActor() actor: Actor): Promise<ModelView> {
    const parts = await readModelUpload(req, this.store, this.config);
    const fields = validateAs(UploadModelFieldsDto, parts.fields);
    if (!fields.ok) {
      await parts.model?.discard();
      await parts.evalSet?.discard();
      throw new InvalidInputError(fields.errors.join('; '), fields.errors);
    }
    const { inputSpec: specJson, ...rest } = fields.value;
    let inputSpec: InputSpec | undefined;
    try {
      inputSpec = specJson === undefined ? undefined : parseInputSpecField(specJson);
    } catch (err) {
      await parts.model?.discard();
      await parts.evalSet?.discard();
      throw err;
    }
    const model = await this.models.upload({ ...rest, inputSpec, model: parts.model!, evalSet: parts.evalSet }, actor);
    return toModelView(model);
  }

  @Get()
  @ApiPageResponse(ModelView)
  async list(@Query() q: ListModelsQueryDto): Promise<Page<ModelView>> {
    return mapPage(await this.models.list({ name: q.name, family: q.family }, q), toModelView);
  }

  @Get(':id')
  @ApiOkResponse({ type: ModelView })
  async get(@Param('id') id: string): Promise<ModelView> {
    return sharedView(await this.models.get(id), toModelView);
  }

  @Get(':id/content')
  @ApiOperation({ summary: 'Download the model file (ETag = sha256; If-None-Match answers 304)' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  async content(
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile | undefined> {
    const content = await this.models.content(id);
    const etag = `"${content.sha256}"`;
    void reply.header('etag', etag).header('cache-control', 'private, max-age=31536000, immutable');
    if (req.headers['if-none-match'] === etag) {
      void reply.status(304);
      return undefined;
    }
    return new StreamableFile(await content.open(), {
      type: 'application/octet-stream',
      length: content.size,
      disposition: `attachment; filename="${content.filename}"`,
    });
  }
}

/** The `inputSpec` text field as an InputSpec, or a 400 listing every problem. */
function parseInputSpecField(json: string): InputSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new InvalidInputError('inputSpec is not JSON');
  }
  const problems = inputSpecProblems(raw);
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '), problems);
  return raw as InputSpec;
}
