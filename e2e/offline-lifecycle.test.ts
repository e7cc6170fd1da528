// Lifecycle changes made while the connector is down: the API records them at once, and the connector
// applies them from the hub's welcome when it comes back, unlinking WhatsApp where the change asks for it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectorUp, loginResetApplied, newPhone, pairedSession, rawQr, scanApiQr, startSystem, status, statusBecomes, type System } from './harness.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

// Tests that kill the connector leave it to the next one to start again.
beforeEach(() => connectorUp(system));

/** Logs a paired session out while the connector is stopped, restarts it and waits until it applied the logout. */
async function logoutWhileDown(phone: string): Promise<{ sessionId: string; apiKey: string }> {
  const { api, connector } = system;
  const session = await pairedSession(system, phone);
  expect(await connector.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  expect((await api('POST', '/api/session/logout', { key: session.apiKey })).status).toBe(200);
  await connectorUp(system);
  await loginResetApplied(system, session.sessionId, 1);
  return session;
}

describe('a lifecycle change while the connector is down', () => {
  it('logout takes effect when the connector is back, and start then shows a new QR that pairs again', async () => {
    const { api } = system;
    const phone = newPhone();
    const { apiKey } = await logoutWhileDown(phone);
    expect(await status(api, apiKey)).toMatchObject({ connected: false });

    expect((await api('POST', '/api/session/start', { key: apiKey })).status).toBe(200);
    await scanApiQr(system, () => rawQr(api, apiKey), phone);
    expect(await statusBecomes(api, apiKey, 'WORKING', true)).toMatchObject({ user: { id: phone } });
  });

  it('logout while the connector is down unlinks the device from the phone when it is back', async () => {
    const phone = newPhone();
    await logoutWhileDown(phone);
    expect(() => system.simulator.unlink(phone)).toThrow(/no linked device/);
  });

  it('delete while the connector is down unlinks the device from the phone when it is back', async () => {
    const { api, connector } = system;
    const phone = newPhone();
    const { sessionId } = await pairedSession(system, phone);
    expect(await connector.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect((await api('POST', '/api/delete', { admin: true, body: { phone: sessionId } })).status).toBe(200);
    const mark = connector.logs().length;
    await connectorUp(system);
    await connector.waitForLog((l) => l.msg === 'session dropped' && l.sessionId === sessionId, { from: mark, what: "'session dropped'" });
    expect(() => system.simulator.unlink(phone)).toThrow(/no linked device/);
  });
});
