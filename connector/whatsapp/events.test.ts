import { describe, expect, it } from 'vitest';
import { SessionEvent } from '../../shared/protocol.ts';
import { bareLid, chatParty, extractText, messageEventId, incomingTextEvent, messageStatusName, phoneFromJid } from './events.ts';

const NOW = 1_800_000_000_000;

describe('Baileys -> our events', () => {
  it('reads text from conversation, extendedTextMessage and disappearing-message wrappers', () => {
    expect(extractText({ conversation: 'hi' })).toBe('hi');
    expect(extractText({ extendedTextMessage: { text: 'with a link' } })).toBe('with a link');
    expect(extractText({ ephemeralMessage: { message: { conversation: 'vanishing' } } })).toBe('vanishing');
  });

  it('ignores messages that are not text', () => {
    expect(extractText({ imageMessage: { caption: 'pic' } })).toBeNull();
    expect(extractText(undefined)).toBeNull();
  });

  it('maps an incoming PN-addressed text to message.received with the phone and the LID alternate', () => {
    const msg = {
      key: { remoteJid: '6281234567890@s.whatsapp.net', remoteJidAlt: '99887766@lid', fromMe: false, id: 'ABC' },
      message: { conversation: 'hello' },
      messageTimestamp: 1_700_000_000,
      pushName: 'Budi',
    };
    const party = chatParty(msg.key);
    expect(party).toEqual({ pnJid: '6281234567890@s.whatsapp.net', lidJid: '99887766@lid' });
    const event = incomingTextEvent(msg, phoneFromJid(party?.pnJid)!, bareLid(party?.lidJid), NOW);
    expect(event).toEqual({
      name: 'message.received',
      messageId: 'ABC',
      from: '6281234567890',
      fromLid: '99887766@lid',
      pushName: 'Budi',
      text: 'hello',
      timestamp: 1_700_000_000_000,
    });
    expect(SessionEvent.safeParse(event).success).toBe(true);
  });

  it('finds the phone of a LID-addressed message in remoteJidAlt', () => {
    expect(chatParty({ remoteJid: '99887766@lid', remoteJidAlt: '6281234567890@s.whatsapp.net' })).toEqual({
      pnJid: '6281234567890@s.whatsapp.net',
      lidJid: '99887766@lid',
    });
  });

  it('skips our own messages, stubs, groups and broadcasts', () => {
    const base = { key: { remoteJid: '6281234567890@s.whatsapp.net', id: 'X', fromMe: true }, message: { conversation: 'x' } };
    expect(incomingTextEvent(base, '6281234567890', undefined, NOW)).toBeNull();
    expect(incomingTextEvent({ ...base, key: { ...base.key, fromMe: false }, messageStubType: 2 }, '6281234567890', undefined, NOW)).toBeNull();
    expect(chatParty({ remoteJid: '1234-5678@g.us', participant: '6281234567890@s.whatsapp.net' })).toBeNull();
    expect(chatParty({ remoteJid: 'status@broadcast' })).toBeNull();
  });

  it('takes the phone digits from a JID with a device part', () => {
    expect(phoneFromJid('6281234567890:12@s.whatsapp.net')).toBe('6281234567890');
    expect(phoneFromJid('99887766@lid')).toBeNull();
    expect(bareLid('99887766:3@lid')).toBe('99887766@lid');
  });

  it("gives a message one event id whether or not this connector could resolve the sender's number", () => {
    const key = { remoteJid: '99887766@lid', fromMe: false, id: 'REDELIVERED1' };
    const msg = { key, message: { conversation: 'hello' }, messageTimestamp: 1_700_000_000 };
    // The connector that first got it knew the LID's number; the one the session moved to did not yet.
    const known = incomingTextEvent(msg, '6281234567890', '99887766@lid', NOW)!;
    const unknown = incomingTextEvent(msg, null, '99887766@lid', NOW)!;
    expect(known.from).not.toBe(unknown.from);
    expect(messageEventId('s1', { ...key })).toBe(messageEventId('s1', key));
    expect(messageEventId('s1', key)).toMatch(/^rcv-[0-9a-f]{40}$/);
    expect(messageEventId('s1', { ...key, id: 'OTHER' })).not.toBe(messageEventId('s1', key));
    expect(messageEventId('s1', { ...key, remoteJid: '11223344@lid' })).not.toBe(messageEventId('s1', key));
    expect(messageEventId('s2', key)).not.toBe(messageEventId('s1', key));
    // A reaction or edit of the message is an event of its own.
    expect(messageEventId('s1', key, 'message.reaction')).toMatch(/^message\.reaction-[0-9a-f]{40}$/);
  });

  it('maps Baileys message status numbers to sent, delivered, read and failed', () => {
    expect([0, 1, 2, 3, 4, 5].map(messageStatusName)).toEqual(['failed', null, 'sent', 'delivered', 'read', 'read']);
  });
});
