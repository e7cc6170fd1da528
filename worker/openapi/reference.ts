// The OpenAPI document as the reference serves it: the routes' own definitions, plus examples for every
// body and error, and the webhook events with their signature.
import { addExamples } from './examples.ts';
import { webhooksSection } from './webhooks.ts';

export function referenceDocument(generated: object): Record<string, unknown> {
  const doc = structuredClone(generated) as Record<string, unknown>;
  addExamples(doc);
  doc.webhooks = webhooksSection();
  return doc;
}
