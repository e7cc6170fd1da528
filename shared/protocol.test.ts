import { describe, expect, it } from 'vitest';
import { ConnectorFrame, HubFrame, parseFrame } from './protocol.ts';

describe('parseFrame', () => {
  it('accepts both kinds of command result', () => {
    expect(parseFrame(ConnectorFrame, JSON.stringify({ type: 'result', id: '1', ok: true, data: { messageId: 'm', remoteJid: 'j', timestamp: 1 } }))).toMatchObject({ ok: true });
    expect(parseFrame(ConnectorFrame, JSON.stringify({ type: 'result', id: '1', ok: false, error: { code: 'SEND_FAILED', message: 'x' } }))).toMatchObject({ ok: false });
  });

  it.each([
    ['not JSON', '{oops'],
    ['an unknown type', '{"type":"surprise"}'],
    ['a result with an unknown error code', JSON.stringify({ type: 'result', id: '1', ok: false, error: { code: 'WHATEVER', message: '' } })],
    ['an event with a phone that is not digits', JSON.stringify({ type: 'event', id: 'e', sessionId: 's', at: 1, event: { name: 'message.received', messageId: 'm', from: '+62 812', text: 'x', timestamp: 1 } })],
    ['a binary frame', new ArrayBuffer(4)],
  ])('rejects %s', (_, raw) => {
    expect(parseFrame(ConnectorFrame, raw)).toBeNull();
  });

  it('parses hub frames the connector receives', () => {
    expect(parseFrame(HubFrame, JSON.stringify({ type: 'desired', sessions: [{ sessionId: 'a', state: 'running', authEpoch: 2 }] }))).toEqual({
      type: 'desired',
      sessions: [{ sessionId: 'a', state: 'running', authEpoch: 2 }],
    });
  });

  it('reads a welcome without `removed` (a hub before it) as removing nothing', () => {
    const welcome = { type: 'welcome', connectorId: 'c', heartbeatMs: 1000, sessions: [] };
    expect(parseFrame(HubFrame, JSON.stringify(welcome))).toEqual({ ...welcome, removed: [] });
    expect(parseFrame(HubFrame, JSON.stringify({ ...welcome, removed: ['a'] }))).toEqual({ ...welcome, removed: ['a'] });
    expect(parseFrame(HubFrame, JSON.stringify({ ...welcome, removed: ['not a session id!'] }))).toBeNull();
  });
});
