import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerdChildren } from '../bench/process-cpu.ts';
import { apiOf } from './api.ts';
import { startStack, type Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('the test stack', () => {
  it("runs the Worker without wrangler's local trace collector, which no deployment has and which cost workerd as much CPU per send as the Worker", async () => {
    // Miniflare's explorer would answer for a collector; with no local dev tooling the path is the Worker's own 404.
    const response = await fetch(`${stack.url}/cdn-cgi/local/explorer/api/local/observability/clear`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it("runs the Worker in one workerd, with no dev proxy (a second workerd every request and socket frame crossed) in front of it", async () => {
    expect(await workerdChildren()).toHaveLength(1);
  });

  it("sends the Worker's database requests straight from workerd to the libSQL server, not through this process's fetch", async () => {
    const nodeFetch = globalThis.fetch;
    const relayed: string[] = [];
    globalThis.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.startsWith(stack.databaseUrl)) relayed.push(url);
      return nodeFetch(input, init);
    };
    try {
      const answer = await apiOf(stack)('GET', '/api/sessions', { admin: true });
      expect(answer.status).toBe(200);
    } finally {
      globalThis.fetch = nodeFetch;
    }
    expect(relayed).toEqual([]);
  });
});
