// Examples for the reference, made from the schemas themselves so they cannot drift from what is validated:
// every request and response body gets one unless its route wrote its own, and every error status lists the
// codes it can carry.
import { codesWithStatus } from '../errors.ts';

type Schema = Record<string, unknown>;
type Components = Record<string, Schema>;

const STRING_EXAMPLES: Record<string, string> = {
  sessionId: 'toko-1',
  apiKey: 'kbr_3q2-Xk1N5f0mYc4ZJbO8pWsa7dQe9LrT6vUhGiKjB0A',
  webhookSecret: 'whsec_5f2b8c0e1d7a4b39a6c1e8f0d2b4a6c8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9',
  webhookUrl: 'https://example.com/hooks/whatsapp',
  url: 'https://example.com/hooks/whatsapp',
  eventId: 'evt_3f1c9a',
  message: 'Session is starting',
  to: '6281234567890',
  phone: '6281234567890',
  connectorId: 'vps-1',
  description: 'Toko Jaya',
  code: 'ABCD-EFGH',
  qr: 'data:image/png;base64,iVBORw0KGgo…',
  qrRaw: '2@Xk1N5f0mYc4ZJbO8pWsa,7dQe9LrT6vUhGiKj,B0A3q2',
  nextCursor: 'toko-1',
  id: 'toko-1',
};

function resolve(schema: Schema, components: Components): Schema {
  const ref = schema.$ref as string | undefined;
  return ref ? (components[ref.split('/').pop() ?? ''] ?? {}) : schema;
}

export function exampleOf(input: Schema, components: Components, name = '', depth = 0): unknown {
  const schema = resolve(input, components);
  if (depth > 8) return null;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const options = (schema.anyOf ?? schema.oneOf ?? schema.allOf) as Schema[] | undefined;
  if (options?.length) return exampleOf(options.find((o) => o.type !== 'null') ?? options[0]!, components, name, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : (schema.type as string | undefined);
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, exampleOf(value, components, key, depth + 1)]));
    }
    case 'array':
      return schema.items ? [exampleOf(schema.items as Schema, components, name, depth + 1)] : [];
    case 'integer':
    case 'number':
      return /At$|since|timestamp/i.test(name) ? 1764590000000 : typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'string':
      return STRING_EXAMPLES[name] ?? (schema.format === 'uri' ? 'https://example.com/' : 'string');
    default:
      return {};
  }
}

interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}

type Operation = {
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
};

function errorExamples(status: number, media: MediaType, components: Components): MediaType['examples'] {
  const laravel = resolve(media.schema ?? {}, components).properties as Record<string, unknown> | undefined;
  const codes = codesWithStatus(status);
  if (laravel && !('code' in laravel)) return { error: { value: { error: 'Nomor HP diperlukan!' } } };
  return Object.fromEntries(
    (codes.length ? codes : ['UNAVAILABLE']).map((code) => [code, { summary: code, value: { success: false, error: `Why, in words (${code})`, code } }]),
  );
}

/** Fills in an example for every request and response body of the document that has none. */
export function addExamples(doc: { paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Components } }): void {
  const components = doc.components?.schemas ?? {};
  for (const methods of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(methods)) {
      for (const media of Object.values(operation.requestBody?.content ?? {})) {
        if (media.example === undefined && !media.examples && media.schema) media.example = exampleOf(media.schema, components);
      }
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) {
          if (media.example !== undefined || media.examples) continue;
          if (Number(status) >= 400) media.examples = errorExamples(Number(status), media, components);
          else if (media.schema) media.example = exampleOf(media.schema, components);
        }
      }
    }
  }
}
