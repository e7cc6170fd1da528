import { describe, expect, it } from 'vitest';
import { SessionEvent } from '../../shared/protocol.ts';
import { groupSender, joinedEvents, participantsChange, updatedEvents } from './group-events.ts';

const GROUP = '120363000000000001@g.us';
const me = { id: '6281100000009:3@s.whatsapp.net', lid: '999999999999999:3@lid' };

describe('group events', () => {
  it('reports members added by an admin, naming both by phone', () => {
    const change = participantsChange(
      {
        id: GROUP,
        author: '111111111111111@lid',
        authorPn: '6281100000001@s.whatsapp.net',
        action: 'add',
        participants: [{ id: '222222222222222@lid', phoneNumber: '6281100000002@s.whatsapp.net' }],
      },
      me,
    );
    expect(change).toEqual({
      self: null,
      event: { name: 'group.participants', groupId: GROUP, action: 'add', participants: [{ phone: '6281100000002', lid: '222222222222222@lid' }], by: '6281100000001' },
    });
    expect(SessionEvent.safeParse(change?.event).success).toBe(true);
  });

  it('recognises this session among those removed or added, by LID or phone', () => {
    const removed = participantsChange({ id: GROUP, author: '1@lid', action: 'remove', participants: [{ id: '999999999999999@lid' }] }, me);
    expect(removed?.self).toBe('removed');
    const added = participantsChange({ id: GROUP, author: '1@lid', action: 'add', participants: [{ id: '6281100000009@s.whatsapp.net' }] }, me);
    expect(added?.self).toBe('added');
    expect(participantsChange({ id: GROUP, author: '1@lid', action: 'modify', participants: [] }, me)).toBeNull();
  });

  it('reports the settings that changed and nothing for an update of none of them', () => {
    expect(updatedEvents([{ id: GROUP, subject: 'New', restrict: true, authorPn: '6281100000001@s.whatsapp.net' }])).toEqual([
      { name: 'group.updated', groupId: GROUP, subject: 'New', locked: true, by: '6281100000001' },
    ]);
    expect(updatedEvents([{ id: GROUP, inviteCode: 'abc' }])).toEqual([]);
  });

  it('reports no change for the full metadata Baileys emits as groups.update when it lists the groups', () => {
    expect(updatedEvents([{ id: GROUP, subject: 'Staff', announce: false, restrict: false, participants: [{ id: '1@lid' }] }])).toEqual([]);
  });

  it('reports a group it appears in as joined', () => {
    const [event] = joinedEvents([{ id: GROUP, subject: 'Staff', owner: undefined, participants: [{ id: '1@lid' }, { id: '2@lid' }] }]);
    expect(event).toEqual({ name: 'group.joined', group: { id: GROUP, subject: 'Staff', announce: false, locked: false, size: 2 }, by: null });
  });

  it('takes a group message sender from participant and participantAlt', () => {
    expect(groupSender({ remoteJid: GROUP, participant: '222@lid', participantAlt: '6281100000002@s.whatsapp.net' })).toEqual({
      pnJid: '6281100000002@s.whatsapp.net',
      lidJid: '222@lid',
    });
  });
});
