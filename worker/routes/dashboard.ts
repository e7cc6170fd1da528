// The operator's dashboard at / and /dashboard: one page, its script and its style, all from the Worker, so
// it works offline and loads nothing from elsewhere. The page holds no secret; everything it shows comes
// from the admin API and the admin stream, with the token the operator types in.
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { DASHBOARD_HTML } from '../dashboard/page.ts';
import { DASHBOARD_JS } from '../dashboard/script.ts';
import { DASHBOARD_CSS } from '../dashboard/style.ts';

/**
 * Only this origin's own script and style run; the QR is a data: image; the stream and the API are this
 * origin (CSP 'self' covers ws: and wss: to it). No inline script or style, no frames, no form posts.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { ...SECURITY_HEADERS, 'content-type': type } });
}

export const dashboardRoutes = new Hono<AppEnv>();

dashboardRoutes.get('/', () => asset(DASHBOARD_HTML, 'text/html; charset=utf-8'));
dashboardRoutes.get('/dashboard', () => asset(DASHBOARD_HTML, 'text/html; charset=utf-8'));
dashboardRoutes.get('/dashboard/app.js', () => asset(DASHBOARD_JS, 'text/javascript; charset=utf-8'));
dashboardRoutes.get('/dashboard/app.css', () => asset(DASHBOARD_CSS, 'text/css; charset=utf-8'));
