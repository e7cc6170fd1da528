// A self-contained API reference page rendered from the OpenAPI document: no scripts, no CDN, so it works
// on an offline VPS and shows exactly what /openapi.json says.

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

interface Document {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function schemaText(schema: unknown, doc: Document): string {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  const resolved = ref ? doc.components?.schemas?.[ref.split('/').pop() ?? ''] : schema;
  return JSON.stringify(resolved ?? {}, null, 2);
}

function operationHtml(method: string, path: string, op: Operation, doc: Document): string {
  const auth = (op.security ?? []).flatMap((s) => Object.keys(s)).join(', ') || 'none';
  const params = (op.parameters ?? []).map((p) => `<li><code>${escape(p.name)}</code> (${p.in}${p.required ? ', required' : ''})</li>`).join('');
  const body = Object.entries(op.requestBody?.content ?? {})
    .map(([type, c]) => `<p>Body <code>${escape(type)}</code></p><pre>${escape(schemaText(c.schema, doc))}</pre>`)
    .join('');
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => `<li><b>${status}</b> ${escape(r.description ?? '')}</li>`)
    .join('');
  return `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary ?? '')}</p><p>Auth: ${escape(auth)}</p>${params ? `<ul>${params}</ul>` : ''}${body}<ul>${responses}</ul></section>`;
}

export function renderDocsPage(doc: Document): string {
  const sections = Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => operationHtml(method, path, op, doc)))
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:3.5rem;color:#06c}</style></head>
<body><h1>${escape(doc.info.title)} ${escape(doc.info.version)}</h1><p>${escape(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>${sections}</body></html>`;
}
