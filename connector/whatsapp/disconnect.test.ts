import { describe, expect, it } from 'vitest';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { WaStatusCode, classifyDisconnect, closeCause, closeReason, reasonForClose } from './disconnect.ts';

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

describe('reasonForClose', () => {
  const closed = (statusCode: number | undefined) => ({ statusCode, networkError: false });

  it('says WhatsApp is unreachable after a network error, whatever status Baileys gave it', () => {
    expect(reasonForClose(closed(undefined), false)).toBe('WHATSAPP_UNREACHABLE');
    expect(reasonForClose({ statusCode: 408, networkError: true }, true)).toBe('WHATSAPP_UNREACHABLE');
  });

  it('names the phone logout, a ban, a replaced connection and a rejected client', () => {
    expect(reasonForClose(closed(401), false)).toBe('LOGGED_OUT_BY_PHONE');
    expect(reasonForClose(closed(403), false)).toBe('BANNED');
    expect(reasonForClose(closed(440), false)).toBe('REPLACED');
    expect(reasonForClose(closed(411), false)).toBe('CLIENT_REJECTED');
  });

  it('tells an unscanned QR round from a lost connection by whether a QR was showing', () => {
    expect(reasonForClose(closed(408), true)).toBe('QR_TIMEOUT');
    expect(reasonForClose(closed(408), false)).toBe('CONNECTION_LOST');
    for (const code of [428, 500, 503, 599]) expect(reasonForClose(closed(code), false)).toBe('CONNECTION_LOST');
  });

  it('treats the restart WhatsApp asks for after pairing as connecting', () => {
    expect(reasonForClose(closed(515), false)).toBe('CONNECTING');
  });
});

describe('closeCause', () => {
  it('finds the Node network error Baileys wraps in its Boom', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    // The shape of Baileys' Boom (output.statusCode, data), which is not our dependency to import.
    expect(closeCause({ message: 'WebSocket Error (connect ECONNREFUSED)', output: { statusCode: 408 }, data: refused })).toEqual({ statusCode: 408, networkError: true });
    expect(closeCause({ message: 'QR refs attempts ended', output: { statusCode: 408 } })).toEqual({ statusCode: 408, networkError: false });
    expect(closeCause(undefined)).toEqual({ statusCode: undefined, networkError: false });
  });
});
