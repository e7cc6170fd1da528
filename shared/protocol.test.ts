import { describe, expect, it } from 'vitest';
import { CommandData, ConnectorFrame, HubFrame, parseFrame } from './protocol.ts';

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

describe('groups on the wire', () => {
  const GROUP = '120363000000000001@g.us';

  it('keeps each group result whole through the CommandData union', () => {
    const group = { id: GROUP, subject: 'Staff', announce: false, locked: true, size: 1, participants: [{ phone: '6281100000001', role: 'superadmin' }] };
    for (const data of [
      { groups: [{ id: GROUP, subject: 'Staff', announce: false, locked: false, size: 3 }] },
      { group },
      { results: [{ phone: '6281100000001', status: 403, outcome: 'PRIVACY' }] },
      { invite: { code: 'AbCdEf123456', link: 'https://chat.whatsapp.com/AbCdEf123456' } },
      { groupId: GROUP, member: false },
    ]) {
      expect(CommandData.parse(data)).toEqual(data);
    }
  });

  it('parses a group message and a group send, and still parses events without `chat`', () => {
    const received = { name: 'message.received', messageId: 'm', from: '6281100000002', text: 'hi', timestamp: 1 };
    const frame = (event: object) => JSON.stringify({ type: 'event', id: 'e', sessionId: 's', at: 1, event });
    expect(parseFrame(ConnectorFrame, frame(received))).not.toBeNull();
    expect(parseFrame(ConnectorFrame, frame({ ...received, chat: { type: 'group', id: GROUP, subject: 'Staff' }, mentions: ['6281100000001'] }))).not.toBeNull();
    expect(parseFrame(ConnectorFrame, frame({ name: 'message.sent', messageId: 'm', to: GROUP, text: 'hi', timestamp: 1 }))).not.toBeNull();
    expect(parseFrame(ConnectorFrame, frame({ name: 'message.sent', messageId: 'm', to: 'status@broadcast', text: 'hi', timestamp: 1 }))).toBeNull();
  });

  it('refuses a send to a broadcast, status or newsletter jid', () => {
    const send = (to: string) => JSON.stringify({ type: 'command', id: '1', deadline: 1, command: { name: 'send.message', sessionId: 's', to, message: { type: 'text', text: 'x' } } });
    expect(parseFrame(HubFrame, send(GROUP))).not.toBeNull();
    for (const to of ['status@broadcast', '12345@broadcast', '120363000000000001@newsletter', '6281100000001@s.whatsapp.net']) {
      expect(parseFrame(HubFrame, send(to)), to).toBeNull();
    }
  });
});
