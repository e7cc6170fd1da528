import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('the test stack', () => {
  it("runs the Worker without wrangler's local trace collector, which no deployment has and which cost workerd as much CPU per send as the Worker", async () => {
    // Miniflare's explorer answers for the collector only when one is attached to the Worker.
    const response = await fetch(`${stack.url}/cdn-cgi/local/explorer/api/local/observability/clear`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ success: false, errors: [{ code: 10130 }] });
  });
});
