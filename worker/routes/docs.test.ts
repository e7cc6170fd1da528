// The API reference through the real Worker: an OpenAPI 3.1 document in which every route has examples and
// error responses and the webhooks are described, a page whose every asset comes from the Worker itself
// under a strict CSP, and a Postman collection made from the same document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let doc: any;

beforeAll(async () => {
  stack = await startStack();
  doc = await (await fetch(`${stack.url}/openapi.json`)).json();
});
afterAll(() => stack.close());

type Operation = { parameters?: { name: string; in: string }[]; requestBody?: any; responses: Record<string, any>; security?: unknown[] };

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => [path, method, op] as [string, string, Operation]),
  );
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document whose references all resolve and whose path parameters are all declared', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const ref of refsIn(doc)) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').pop()!], ref).toBeDefined();
    }
    for (const [path, method, op] of operations()) {
      expect(path.startsWith('/'), path).toBe(true);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
      const named = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      expect(declared, `${method} ${path}`).toEqual(named);
    }
  });

  it('gives every route an example for each body it takes and answers, and error responses with every code they carry', () => {
    expect(operations().length).toBeGreaterThan(20);
    for (const [path, method, op] of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const media of Object.values<any>(op.requestBody?.content ?? {})) expect(media.example ?? media.examples, `${where} request`).toBeDefined();
      const statuses = Object.keys(op.responses);
      expect(statuses.some((s) => Number(s) >= 400), `${where} has error responses`).toBe(true);
      for (const [status, response] of Object.entries<any>(op.responses)) {
        for (const media of Object.values<any>(response.content ?? {})) expect(media.example ?? media.examples, `${where} ${status}`).toBeDefined();
      }
      if (op.security?.length) expect(statuses, `${where} states who may call it`).toContain('401');
    }
    const notFound = doc.paths['/api/sessions/{sessionId}'].get.responses['404'].content['application/json'].examples;
    expect(Object.keys(notFound)).toEqual(expect.arrayContaining(['SESSION_NOT_FOUND', 'NOT_FOUND']));
    expect(notFound.SESSION_NOT_FOUND.value).toEqual({ success: false, error: expect.any(String), code: 'SESSION_NOT_FOUND' });
  });

  it('describes each webhook event, its envelope and the headers that sign it', () => {
    expect(Object.keys(doc.webhooks)).toEqual(expect.arrayContaining(['qr', 'connection.update', 'pairing.code', 'message.received', 'message.sent', 'message.status']));
    const received = doc.webhooks['message.received'].post;
    expect(received.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['X-Kabar-Signature', 'X-Kabar-Timestamp', 'X-Kabar-Event-Id']));
    expect(received.description).toContain('HMAC-SHA256');
    const envelope = received.requestBody.content['application/json'].schema;
    expect(envelope.properties.event).toEqual({ type: 'string', const: 'message.received' });
    expect(Object.keys(envelope.properties.data.properties)).toEqual(expect.arrayContaining(['messageId', 'from', 'text', 'timestamp']));
  });
});

describe('GET /docs', () => {
  it('loads every script and style from the Worker itself, under a CSP that allows nothing else', async () => {
    const page = await fetch(`${stack.url}/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script: every <script> has a src
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/docs/assets/init.js']));
    for (const asset of assets) {
      expect(asset, 'same origin').toMatch(/^\/[^/]/);
      const answer = await fetch(stack.url + asset);
      expect(answer.status, asset).toBe(200);
      const type = answer.headers.get('content-type') ?? '';
      if (asset.endsWith('.js')) expect(type, asset).toContain('javascript');
      if (asset.endsWith('.css')) expect(type, asset).toContain('text/css');
      await answer.arrayBuffer();
    }
    const bundle = await (await fetch(`${stack.url}/docs/assets/swagger-ui-bundle.js`)).text();
    expect(bundle).toContain('SwaggerUIBundle');
    expect(await (await fetch(`${stack.url}/docs/assets/init.js`)).text()).toContain("url: '/openapi.json'");
  });

  it('answers an unknown asset with a JSON 404', async () => {
    const answer = await fetch(`${stack.url}/docs/assets/evil.js`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});

describe('GET /docs/postman.json', () => {
  it('is a Postman v2.1 collection with one request per operation, credentials as variables', async () => {
    const collection = await (await fetch(`${stack.url}/docs/postman.json`)).json();
    expect(collection.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    const requests = collection.item.flatMap((folder: { item: unknown[] }) => folder.item);
    expect(requests).toHaveLength(operations().length);
    expect(collection.variable.map((v: { key: string }) => v.key)).toEqual(['baseUrl', 'apiKey', 'adminToken']);
    expect(collection.variable[0].value).toBe(stack.url);
    const patch = requests.find((r: any) => r.request.method === 'PATCH');
    expect(patch.request.auth.type).toBe('bearer');
    expect(patch.request.url.raw).toBe('{{baseUrl}}/api/sessions/:sessionId');
    expect(JSON.parse(patch.request.body.raw)).toHaveProperty('webhookUrl');
  });
});
