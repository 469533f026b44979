import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { withValidatorBounds } from './validator-bounds';

export const DOCS_PATH = 'docs';

/** Swagger UI at /docs, the OpenAPI JSON at /docs-json (both public: the API itself needs a key). */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('edgefleet control plane')
    .setDescription(
      'Admin API: register devices, upload ONNX models, deploy them to devices over MQTT and read the devices\' benchmark reports. '
      + 'Every /api/v1 route needs `Authorization: Bearer <api key>`. Errors are JSON `{statusCode, error, message, correlationId}`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (ADMIN_API_KEY, the one printed at first start, or one from POST /api/v1/api-keys)' })
    .build();
  // Built lazily on the first request: start-up stays fast and the document sees every route.
  SwaggerModule.setup(DOCS_PATH, app, () => withValidatorBounds(SwaggerModule.createDocument(app, config)), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    swaggerOptions: { persistAuthorization: true },
  });
}
