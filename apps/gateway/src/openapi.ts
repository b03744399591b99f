import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { version } from '../../../package.json';

/** OpenAPI for the ops API and the ingress routes, at /docs (UI) and /docs/json. */
export function mountOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Webhook hub')
    .setDescription(
      'Verified webhook ingress, a Redis event store, signed fan-out and an MCP server. Ops routes take ' +
        '`Authorization: Bearer <HUB_ADMIN_TOKEN>`; ingress routes authenticate as each platform does (docs/providers.md).',
    )
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'HUB_ADMIN_TOKEN' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
}
