// A connector process with the wrong CONNECTOR_SECRET against the real hub: refused every time, it keeps
// retrying with backoff and is never given sessions, so sends fail fast with 503.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../shared/protocol.ts';
import { newPhone, rows, startSystem, status, type System } from './harness.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem({
    connectorSecret: 'not-the-deployment-secret-0123456789',
    startConnector: false,
    // A deadline far beyond the test timeout: only an answer that does not wait for it can pass.
    vars: { COMMAND_TIMEOUT_MS: '60000' },
  });
});
afterAll(() => system?.close());

describe('a connector with a wrong secret', () => {
  it('is refused with 4001 again and again, never attaches, and sends answer 503', async () => {
    const { api, connector, stack } = system;
    const created = await api('POST', '/api/session/create', { admin: true, body: {} });
    expect(created.status).toBe(201);
    const { sessionId, apiKey } = created.json;

    connector.start();
    const refused = (l: { msg?: string; code?: unknown }) => l.msg === 'hub link closed; reconnecting' && l.code === CloseCode.unauthorised;
    const first = await connector.waitForLog(refused, { what: 'a 4001 refusal' });
    await connector.waitForLog(refused, { from: connector.logs().indexOf(first) + 1, what: 'a second 4001 refusal (no retry?)' });
    expect(connector.running).toBe(true);
    expect(connector.logs().some((l) => l.msg === 'hub link ready')).toBe(false);

    const send = await api('POST', '/api/send', { key: apiKey, body: { to: newPhone(), message: 'tidak akan terkirim' } });
    expect(send).toMatchObject({ status: 503, json: { success: false, code: 'CONNECTOR_OFFLINE' } });
    expect(await status(api, apiKey)).toMatchObject({ connected: false, status: 'STARTING' });
    const [session] = await rows(stack, 'SELECT connector_id FROM sessions WHERE id = ?', [sessionId]);
    expect(session).toEqual({ connector_id: null });
  });
});
