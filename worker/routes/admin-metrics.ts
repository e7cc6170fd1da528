// Prometheus metrics of the whole deployment (admin token): sessions, messages, webhook deliveries and
// connectors, read from Turso and the hubs at each scrape.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { EXPOSITION_CONTENT_TYPE, formatExposition } from '../metrics/exposition.ts';
import { gatherMetrics } from '../metrics/gather.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { throwOnInvalid } from '../validation.ts';
import { errors } from './openapi-responses.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/api/metrics',
  tags: ['Admin: metrics'],
  summary: 'Prometheus metrics (text format 0.0.4): sessions by status and reason, messages, webhook deliveries and lag, connectors',
  description: 'Scrape with `authorization: Bearer <ADMIN_TOKEN>` (Prometheus `authorization.credentials`). Each metric is listed in the README, section Metrics.',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  responses: {
    200: {
      description: 'The metrics',
      content: { [EXPOSITION_CONTENT_TYPE]: { schema: z.string().openapi({ example: '# HELP kabar_sessions Sessions by status…\n# TYPE kabar_sessions gauge\nkabar_sessions{status="WORKING",reason="NONE"} 3\n' }) } },
    },
    ...errors(401, 403, 429),
  },
});

export const adminMetricsRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminMetricsRoutes.openapi(metricsRoute, async (c) =>
  c.text(formatExposition(await gatherMetrics(c.var.services, Date.now())), 200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' }),
);
