import { describe, expect, it } from 'vitest';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { WaStatusCode, classifyDisconnect, closeReason } from './disconnect.ts';

describe('classifyDisconnect', () => {
  it('restarts at once when WhatsApp asks for a restart (515, after pairing)', () => {
    expect(classifyDisconnect(WaStatusCode.restartRequired)).toBe('restart');
  });

  it('treats a logout from the phone (401) as a lost login', () => {
    expect(classifyDisconnect(WaStatusCode.loggedOut)).toBe('logged-out');
  });

  it('reconnects with backoff after closed, lost, timed out, replaced, bad session and unavailable', () => {
    for (const code of [428, 408, 440, 500, 503]) expect(classifyDisconnect(code)).toBe('reconnect');
  });

  it('reconnects after a close with no status code or an unknown one', () => {
    expect(classifyDisconnect(undefined)).toBe('reconnect');
    expect(classifyDisconnect(599)).toBe('reconnect');
  });

  it('gives up on forbidden (403) and multi-device mismatch (411) without wiping the login', () => {
    expect(classifyDisconnect(403)).toBe('fail');
    expect(classifyDisconnect(411)).toBe('fail');
  });

  it('gives up on a client version WhatsApp refuses (405) and names the reason CLIENT_TOO_OLD', () => {
    expect(classifyDisconnect(405)).toBe('fail');
    expect(closeReason(405, 'Connection Failure', [2, 3000, 7])).toMatch(/^CLIENT_TOO_OLD: WhatsApp refused client version 2\.3000\.7 \(405\)/);
    expect(closeReason(503, 'Stream Errored')).toBe('503: Stream Errored');
  });

  it('uses the same numbers as Baileys', () => {
    expect(WaStatusCode.loggedOut).toBe(DisconnectReason.loggedOut);
    expect(WaStatusCode.restartRequired).toBe(DisconnectReason.restartRequired);
    expect(WaStatusCode.connectionClosed).toBe(DisconnectReason.connectionClosed);
    expect(WaStatusCode.connectionReplaced).toBe(DisconnectReason.connectionReplaced);
    expect(WaStatusCode.timedOut).toBe(DisconnectReason.timedOut);
    expect(WaStatusCode.forbidden).toBe(DisconnectReason.forbidden);
    expect(WaStatusCode.multideviceMismatch).toBe(DisconnectReason.multideviceMismatch);
    expect(WaStatusCode.unavailableService).toBe(DisconnectReason.unavailableService);
    expect(WaStatusCode.badSession).toBe(DisconnectReason.badSession);
  });
});
