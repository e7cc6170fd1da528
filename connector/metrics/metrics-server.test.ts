import { afterEach, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('metrics server', () => {
  it('binds to loopback unless told otherwise and serves the registry as Prometheus text on /metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);
    server = await startMetricsServer(registry, { port: 0 });
    expect(server.host).toBe('127.0.0.1');
    const answer = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await answer.text()).toContain('test_things_total 3');
  });

  it('answers 404 off /metrics and 405 for a method other than GET', async () => {
    server = await startMetricsServer(new Registry(), { port: 0 });
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('rejects when the port is taken, so the connector can stop with the variable named', async () => {
    server = await startMetricsServer(new Registry(), { port: 0 });
    await expect(startMetricsServer(new Registry(), { port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
