// Which methods a path answers to, from the app's own route table: a request with another method gets a
// 405 naming them instead of a 404 that suggests the path does not exist.
import type { Hono } from 'hono';

function pattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

export function allowedMethods(app: Pick<Hono, 'routes'>, path: string): string[] {
  const methods = new Set<string>();
  // `ALL` entries are middleware (app.use), not routes.
  for (const route of app.routes) if (route.method !== 'ALL' && pattern(route.path).test(path)) methods.add(route.method);
  return [...methods].sort();
}
