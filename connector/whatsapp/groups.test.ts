import type { GroupMetadata } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { GroupInfo } from '../../shared/protocol.ts';
import { groupFailure, groupInfo, iqErrorCode, participantResults } from './groups.ts';

describe('groupInfo', () => {
  it('names members by phone, LID and role, from a LID-addressed group', () => {
    const meta: GroupMetadata = {
      id: '120363000000000001@g.us',
      subject: 'Staff',
      owner: '111111111111111@lid',
      ownerPn: '6281100000001@s.whatsapp.net',
      desc: 'shifts',
      announce: true,
      restrict: false,
      creation: 1_700_000_000,
      addressingMode: 'lid' as GroupMetadata['addressingMode'],
      participants: [
        { id: '111111111111111@lid', phoneNumber: '6281100000001@s.whatsapp.net', admin: 'superadmin' },
        { id: '222222222222222@lid', admin: null },
        { id: '6281100000003@s.whatsapp.net', lid: '333333333333333@lid', admin: 'admin' },
      ],
    };
    const info = groupInfo(meta);
    expect(GroupInfo.parse(info)).toEqual(info);
    expect(info).toEqual({
      id: '120363000000000001@g.us',
      subject: 'Staff',
      description: 'shifts',
      owner: '6281100000001',
      announce: true,
      locked: false,
      size: 3,
      createdAt: 1_700_000_000_000,
      participants: [
        { phone: '6281100000001', lid: '111111111111111@lid', role: 'superadmin' },
        { phone: null, lid: '222222222222222@lid', role: 'member' },
        { phone: '6281100000003', lid: '333333333333333@lid', role: 'admin' },
      ],
    });
  });
});

describe('participantResults', () => {
  it('gives one result per phone asked, in order, whether WhatsApp names them by PN or LID', () => {
    const results = participantResults(
      ['6281100000001', '6281100000002', '6281100000003'],
      [
        { status: '200', jid: '6281100000001@s.whatsapp.net' },
        { status: '403', jid: '22222@lid', content: { attrs: { phone_number: '6281100000002@s.whatsapp.net' } } },
        { status: '409', jid: '6281100000003@s.whatsapp.net' },
      ],
    );
    expect(results).toEqual([
      { phone: '6281100000001', status: 200, outcome: 'OK' },
      { phone: '6281100000002', status: 403, outcome: 'PRIVACY' },
      { phone: '6281100000003', status: 409, outcome: 'ALREADY_MEMBER' },
    ]);
  });

  it('reports a phone missing from the answer as FAILED', () => {
    expect(participantResults(['6281100000001', '6281100000002'], [{ status: '200', jid: '6281100000002@s.whatsapp.net' }])).toEqual([
      { phone: '6281100000001', status: 0, outcome: 'FAILED' },
      { phone: '6281100000002', status: 200, outcome: 'OK' },
    ]);
  });
});

describe('groupFailure', () => {
  it.each([
    ['group.get', 404, 'GROUP_NOT_FOUND'],
    ['group.get', 403, 'GROUP_NOT_FOUND'],
    ['group.update', 403, 'GROUP_NOT_FOUND'],
    ['group.update', 401, 'NOT_GROUP_ADMIN'],
    ['group.participants', 401, 'NOT_GROUP_ADMIN'],
    ['group.join', 404, 'INVITE_INVALID'],
    ['group.join', 410, 'INVITE_INVALID'],
    ['group.leave', 403, 'GROUP_NOT_FOUND'],
    ['group.list', 500, 'SEND_FAILED'],
    ['group.update', undefined, 'SEND_FAILED'],
  ] as const)('%s refused with %s is %s', (command, status, code) => {
    expect(groupFailure(command, status)).toBe(code);
  });

  it('reads the code of a refused iq from the Boom Baileys throws', () => {
    expect(iqErrorCode(Object.assign(new Error('item-not-found'), { data: 404 }))).toBe(404);
    expect(iqErrorCode(new Error('timed out'))).toBeUndefined();
  });
});
