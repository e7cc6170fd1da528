// A Postman (v2.1) collection made from the OpenAPI document, which Insomnia imports too: one folder per tag,
// one request per operation with its example body, and the two credentials as collection variables.

type Operation = {
  summary?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean; example?: unknown }[];
  requestBody?: { content?: Record<string, { example?: unknown }> };
};

interface Document {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
}

function auth(operation: Operation) {
  const schemes = (operation.security ?? []).flatMap((s) => Object.keys(s));
  if (schemes[0] === 'adminToken') return { type: 'bearer', bearer: [{ key: 'token', value: '{{adminToken}}', type: 'string' }] };
  if (schemes[0] === 'apiKey') return { type: 'apikey', apikey: [{ key: 'key', value: 'x-api-key' }, { key: 'value', value: '{{apiKey}}' }, { key: 'in', value: 'header' }] };
  return { type: 'noauth' };
}

function request(method: string, path: string, operation: Operation) {
  const segments = path.replace(/^\//, '').split('/').map((s) => s.replace(/^\{(.+)\}$/, ':$1'));
  const pathVariables = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => ({ key: p.name, value: String(p.example ?? '') }));
  const query = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ key: p.name, value: '', disabled: !p.required }));
  const json = operation.requestBody?.content?.['application/json'];
  return {
    name: operation.summary ?? `${method.toUpperCase()} ${path}`,
    request: {
      method: method.toUpperCase(),
      auth: auth(operation),
      header: json ? [{ key: 'content-type', value: 'application/json' }] : [],
      url: { raw: `{{baseUrl}}/${segments.join('/')}`, host: ['{{baseUrl}}'], path: segments, query, variable: pathVariables },
      ...(json ? { body: { mode: 'raw', raw: JSON.stringify(json.example ?? {}, null, 2), options: { raw: { language: 'json' } } } } : {}),
    },
  };
}

export function postmanCollection(doc: Document, baseUrl: string) {
  const folders = new Map<string, ReturnType<typeof request>[]>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(methods)) {
      const tag = operation.tags?.[0] ?? 'Session key';
      folders.set(tag, [...(folders.get(tag) ?? []), request(method, path, operation)]);
    }
  }
  return {
    info: {
      name: `${doc.info.title} ${doc.info.version}`,
      description: doc.info.description ?? '',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    variable: [
      { key: 'baseUrl', value: baseUrl },
      { key: 'apiKey', value: 'kbr_…' },
      { key: 'adminToken', value: '' },
    ],
    item: [...folders].map(([name, item]) => ({ name, item })),
  };
}
