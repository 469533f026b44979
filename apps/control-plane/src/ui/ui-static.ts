import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the dashboard is served. */
export const UI_PATH = 'ui';

/** The dashboard's bundle: built by `npm run build` (Vite) from apps/control-plane/ui into apps/control-plane/ui/dist. */
export const UI_DIST = join(__dirname, '../../ui/dist');

/**
 * Serves the web dashboard's static files at /ui/ without authentication: they hold no data. Every figure on its
 * pages comes from the /api/v1 routes, called with the API key the operator logs in with. Without a built bundle
 * (a checkout that never ran `npm run build`) /ui/ answers 404 like any unknown path.
 */
export async function serveDashboard(app: NestFastifyApplication): Promise<void> {
  if (!existsSync(join(UI_DIST, 'index.html'))) return;
  const fastify = app.getHttpAdapter().getInstance();
  // /ui → /ui/ so the page's relative asset URLs resolve under it.
  fastify.get(`/${UI_PATH}`, (_req, reply) => reply.redirect(`/${UI_PATH}/`));
  await app.register(fastifyStatic, {
    root: UI_DIST,
    prefix: `/${UI_PATH}/`,
    decorateReply: false, // Swagger UI registers @fastify/static too; one reply decorator is enough
    index: 'index.html',
    dotfiles: 'ignore', // the build stamp (.build-hash) is no page
    // Hashed asset names never change content; the page itself is revalidated so a new build shows at once.
    setHeaders: (res, path) => {
      void res.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
}
