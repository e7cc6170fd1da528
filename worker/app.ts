// The HTTP application: global middleware, both API surfaces, the hub's WebSocket entry, health, the
// OpenAPI document and its reference page. Errors become JSON in exactly one place (onError).
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { sql } from 'drizzle-orm';
import type { AppEnv } from './app-env.ts';
import { allowedMethods } from './allowed-methods.ts';
import { ApiError, errorResponse } from './errors.ts';
import { readConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { services } from './middleware/services.ts';
import { adminRoutes } from './routes/admin.ts';
import { groupRoutes } from './routes/groups.ts';
import { adminStreamRoutes } from './routes/admin-stream.ts';
import { adminPairingRoutes } from './routes/admin-pairing.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { adminConnectorRoutes } from './routes/admin-connectors.ts';
import { adminSessionRoutes } from './routes/admin-sessions.ts';
import { adminSessionMessageRoutes } from './routes/admin-session-messages.ts';
import { adminWebhookRoutes } from './routes/admin-webhooks.ts';
import { adminMetricsRoutes } from './routes/admin-metrics.ts';
import { docsRoutes } from './routes/docs.ts';
import { referenceDocument } from './openapi/reference.ts';
import { LARAVEL_PATHS, laravelRoutes } from './routes/laravel.ts';
import { connectorMediaRoutes } from './routes/connector-media.ts';
import { liveRoutes } from './routes/live.ts';
import { connectorSocketRoutes } from './routes/connector-socket.ts';
import { mediaRoutes } from './routes/media.ts';
import { publicMediaRoutes } from './routes/public-media.ts';
import { MESSAGE_BODY_MAX_BYTES } from './routes/message-request.ts';
import { messageRoutes } from './routes/messages.ts';
import { BATCH_BODY_MAX_BYTES, queueRoutes } from './routes/queue.ts';
import { chatActionRoutes } from './routes/chat-actions.ts';
import { sessionKeyRoutes } from './routes/session-key.ts';

/** Far above any valid request (a 64 KiB message in JSON), far below what could hurt. */
const MAX_BODY_BYTES = 256 * 1024;

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'kabar',
    version: '1',
    description: 'Self-hosted WhatsApp gateway. Session-key surface (x-api-key) and Laravel surface (admin Bearer token).',
  },
};

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.use('*', async (c, next) => {
    c.set('surface', LARAVEL_PATHS.has(c.req.path) ? 'laravel' : 'session-key');
    await next();
  });
  app.use('/api/*', async (c, next) => {
    const origins = readConfig(c.env).CORS_ORIGINS;
    if (origins.length === 0) return next();
    return cors({
      origin: origins.includes('*') ? '*' : origins,
      allowHeaders: ['content-type', 'x-api-key', 'authorization'],
      exposeHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'],
      maxAge: 600,
    })(c, next);
  });
  app.use('/api/*', (c, next) => {
    // Uploads stream into R2 under MAX_MEDIA_BYTES (routes/media.ts).
    if (c.req.path === '/api/media') return next();
    // A message may carry a small file inline (base64); larger ones are uploaded, streamed, to /api/media.
    const maxSize = c.req.path === '/api/messages' ? MESSAGE_BODY_MAX_BYTES : c.req.path === '/api/messages/batch' ? BATCH_BODY_MAX_BYTES : MAX_BODY_BYTES;
    return bodyLimit({ maxSize, onError: () => { throw new ApiError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxSize} bytes`); } })(c, next);
  });
  app.use('/api/*', services);
  app.use('/connector/*', services);
  app.use('/media/*', services);

  app.route('/', sessionKeyRoutes);
  app.route('/', laravelRoutes);
  app.route('/', liveRoutes);
  app.route('/', queueRoutes);
  app.route('/', messageRoutes);
  app.route('/', mediaRoutes);
  app.route('/', connectorMediaRoutes);
  app.route('/', chatActionRoutes);
  app.route('/', publicMediaRoutes);
  app.route('/', adminRoutes);
  app.route('/', groupRoutes);
  app.route('/', adminStreamRoutes);
  app.route('/', adminPairingRoutes);
  app.route('/', dashboardRoutes);
  app.route('/', adminSessionRoutes);
  app.route('/', adminSessionMessageRoutes);
  app.route('/', adminConnectorRoutes);
  app.route('/', adminWebhookRoutes);
  app.route('/', adminMetricsRoutes);

  app.route('/', connectorSocketRoutes);

  app.get('/health', async (c) => {
    await createDb(readConfig(c.env)).run(sql`select 1`);
    return c.json({ ok: true });
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-api-key' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' });
  let document: Record<string, unknown> | undefined;
  app.route('/', docsRoutes(() => (document ??= referenceDocument(app.getOpenAPI31Document(OPENAPI_INFO)))));

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      throw new ApiError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(' or ')}`, {
        headers: { Allow: allowed.join(', ') },
      });
    }
    throw new ApiError('NOT_FOUND', 'No such route; see /docs');
  });
  app.onError((error, c) => errorResponse(error, c.get('surface') ?? 'session-key'));
  return app;
}
