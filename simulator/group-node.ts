// A group on the wire: how its members are named (a LID group names them by LID with the phone number
// beside it, a PN group the other way round) and the `<group>` node the w:g2 iqs and notifications carry,
// as Baileys' extractGroupMetadata (Socket/groups.js) reads it.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { lidJid, phoneJid } from './directory.ts';
import type { Directory } from './directory.ts';
import type { Group } from './groups.ts';

/** The jid a group names `phone` (device `device`) by. */
export function memberJid(directory: Directory, group: Group, phone: string, device = 0): string {
  return group.addressing === 'lid' ? lidJid(directory.lidOf(phone), device) : phoneJid(phone, device);
}

/** The member's other jid, under the attribute name a stanza gives it (`participant_pn`, `participant_lid`, ...). */
export function memberAltAttrs(directory: Directory, group: Group, phone: string, prefix: string, device = 0): Record<string, string> {
  return group.addressing === 'lid'
    ? { [`${prefix}_pn`]: phoneJid(phone, device) }
    : { [`${prefix}_lid`]: lidJid(directory.lidOf(phone), device) };
}

/** `<participant jid phone_number|lid/>`: a person as the group names them, with their other jid. */
export function personNode(directory: Directory, group: Group, phone: string): BinaryNode {
  const alt: Record<string, string> =
    group.addressing === 'lid' ? { phone_number: phoneJid(phone) } : { lid: lidJid(directory.lidOf(phone)) };
  return { tag: 'participant', attrs: { jid: memberJid(directory, group, phone), ...alt } };
}

/** `<participant jid phone_number|lid [type]/>` for a member (`type` left out for plain members). */
export function participantNode(directory: Directory, group: Group, phone: string): BinaryNode {
  const node = personNode(directory, group, phone);
  const role = group.members.get(phone);
  return role && role !== 'member' ? { ...node, attrs: { ...node.attrs, type: role } } : node;
}

export function groupNode(directory: Directory, group: Group): BinaryNode {
  const content: BinaryNode[] = [...group.members.keys()].map((phone) => participantNode(directory, group, phone));
  if (group.description) {
    content.push({
      tag: 'description',
      attrs: {
        id: group.description.id,
        participant: memberJid(directory, group, group.description.by),
        ...memberAltAttrs(directory, group, group.description.by, 'participant'),
        t: String(group.description.time),
      },
      content: [{ tag: 'body', attrs: {}, content: Buffer.from(group.description.text) }],
    });
  }
  if (group.announce) content.push({ tag: 'announcement', attrs: {} });
  if (group.locked) content.push({ tag: 'locked', attrs: {} });
  return {
    tag: 'group',
    attrs: {
      id: group.id,
      subject: group.subject,
      s_o: memberJid(directory, group, group.subjectBy),
      ...memberAltAttrs(directory, group, group.subjectBy, 's_o'),
      s_t: String(group.subjectTime),
      creation: String(group.creation),
      creator: memberJid(directory, group, group.creator),
      ...memberAltAttrs(directory, group, group.creator, 'creator'),
      size: String(group.members.size),
      addressing_mode: group.addressing,
    },
    content,
  };
}
