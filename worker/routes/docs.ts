// The API reference: Swagger UI from the swagger-ui-dist package, served by the Worker itself under a strict
// Content-Security-Policy (no CDN, no inline script), the OpenAPI document it reads, and a Postman collection
// made from the same document.
import { Hono } from 'hono';
// Bundled as text (esbuild's import attribute), not as code: the browser runs it, the Worker only serves it.
import bundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'text' };
import css from 'swagger-ui-dist/swagger-ui.css' with { type: 'text' };
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { postmanCollection } from '../openapi/postman.ts';

/** Everything from this origin and nothing else; Swagger UI's inline SVG icons are data: images. */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Swagger UI is told where the document is here, from a file, as the CSP forbids inline scripts.
const INIT = `window.onload = function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, tryItOutEnabled: false, validatorUrl: null, persistAuthorization: false });
};`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kabar API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><p><a href="/openapi.json">OpenAPI 3.1 document</a> · <a href="/docs/postman.json" download="kabar.postman_collection.json">Postman / Insomnia collection</a></p>
<div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body></html>`;

const ASSETS: Record<string, { body: string; type: string }> = {
  'swagger-ui-bundle.js': { body: bundle, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { body: css, type: 'text/css; charset=utf-8' },
  'init.js': { body: INIT, type: 'text/javascript; charset=utf-8' },
};

export function docsRoutes(document: () => Record<string, unknown>) {
  const routes = new Hono<AppEnv>();
  const guarded = async (c: { header: (name: string, value: string) => void }, next: () => Promise<void>) => {
    await next();
    c.header('Content-Security-Policy', DOCS_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
  };
  routes.use('/docs', guarded);
  routes.use('/docs/*', guarded);
  routes.get('/openapi.json', (c) => c.json(document()));
  routes.get('/docs', (c) => c.html(PAGE));
  routes.get('/docs/postman.json', (c) => c.json(postmanCollection(document() as unknown as Parameters<typeof postmanCollection>[0], new URL(c.req.url).origin)));
  routes.get('/docs/assets/:name', (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) throw new ApiError('NOT_FOUND', `No reference asset ${c.req.param('name')}`);
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' });
  });
  return routes;
}
