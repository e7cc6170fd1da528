import { proto } from '@whiskeysockets/baileys';
import { expect, test } from 'vitest';
import { SenderKeys } from './sender-keys.ts';

const group = '120363000000000001@g.us';
const sender = { phone: '6281100000001', device: 0 };
const members = [
  { phone: '6281100000002', device: 0 },
  { phone: '6281100000003', device: 2 },
];

test('every member decrypts the same skmsg with the key it was handed, and a forged signature is refused for each, checked or not', async () => {
  const keys = new SenderKeys();
  const plaintext = proto.Message.encode({ conversation: 'rapat jam 10' }).finish();
  const { skmsg, distribution } = await keys.encrypt(sender, group, plaintext);
  for (const member of members) await keys.process(member, group, sender, distribution);
  const forged = Buffer.from(skmsg);
  forged[forged.length - 1]! ^= 0xff;
  for (const member of members) {
    await expect(keys.decrypt(member, group, sender, forged)).rejects.toThrow();
    expect(proto.Message.decode(await keys.decrypt(member, group, sender, skmsg)).conversation).toBe('rapat jam 10');
  }
  // A device never handed the key cannot read it.
  await expect(keys.decrypt({ phone: '6281100000004', device: 0 }, group, sender, skmsg)).rejects.toThrow(/No session/);
});

test('after a rotation the sender encrypts under a new key that the old distribution does not open', async () => {
  const keys = new SenderKeys();
  const first = await keys.encrypt(sender, group, proto.Message.encode({ conversation: 'a' }).finish());
  await keys.process(members[0]!, group, sender, first.distribution);
  keys.markDistributed(group, sender, members[0]!);
  keys.rotate(group, sender);
  expect(keys.hasDistributed(group, sender, members[0]!)).toBe(false);
  const second = await keys.encrypt(sender, group, proto.Message.encode({ conversation: 'b' }).finish());
  expect(second.distribution.equals(first.distribution)).toBe(false);
  await expect(keys.decrypt(members[0]!, group, sender, second.skmsg)).rejects.toThrow();
});
