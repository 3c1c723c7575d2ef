import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** src/web/: the pages and what they share, served as they are (no build step). */
const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** The pages (each a folder with an index.html); the portal joins this list in its own issue. */
export const WEB_PAGES = ['desk'] as const;
/** Folders whose files the pages load. */
const ASSET_DIRS = ['shared', 'i18n', ...WEB_PAGES] as const;
/** What a browser may fetch from them; the server's own .ts files never leave. */
const SERVED_TYPES = new Set(['.html', '.js', '.css', '.json', '.svg', '.png', '.woff2']);
/** Scripts, styles and catalogues may be reused for a few minutes; a page is always revalidated (ETag). */
const ASSET_MAX_AGE_MS = 5 * 60_000;

/**
 * Serves the officer's desk (and later the portal) from src/web with @fastify/static.
 * Routes are declared here, public (`config.auth`), hidden from the OpenAPI document;
 * a missing file is the service's usual 404 problem.
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: WEB_ROOT, serve: false, index: false, dotfiles: 'deny' });

  const page = (reply: FastifyReply, name: string) => {
    reply.header('cache-control', 'no-cache');
    return reply.sendFile(`${name}/index.html`, { cacheControl: false });
  };

  for (const name of WEB_PAGES) {
    app.get(`/${name}`, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply.redirect(`/${name}/`, 301),
    );
    app.get(`/${name}/`, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => page(reply, name));
  }

  for (const dir of ASSET_DIRS) {
    app.get<{ Params: { '*': string } }>(
      `/${dir}/*`,
      { config: { auth: 'public' }, schema: { hide: true } },
      async (request, reply) => {
        const rest = request.params['*'];
        if (!SERVED_TYPES.has(extname(rest).toLowerCase())) return reply.callNotFound();
        if (rest === 'index.html') return page(reply, dir);
        // Rooted at the folder itself: `..` cannot climb out of it (send answers 403).
        return reply.sendFile(rest, join(WEB_ROOT, dir), { maxAge: ASSET_MAX_AGE_MS });
      },
    );
  }
}
