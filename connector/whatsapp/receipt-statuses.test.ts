import { describe, expect, it } from 'vitest';
import { receiptStatus } from './receipt-statuses.ts';

const contact = '6281900000001@s.whatsapp.net';

describe('receiptStatus', () => {
  it('reads a delivery receipt and every id of its list', () => {
    const node = { tag: 'receipt', attrs: { from: contact, id: 'A', t: '1700000000' }, content: [{ tag: 'list', attrs: {}, content: [{ tag: 'item', attrs: { id: 'B' } }, { tag: 'item', attrs: { id: 'C' } }] }] };
    expect(receiptStatus(node, 0)).toEqual({ ids: ['A', 'B', 'C'], chatJid: contact, status: 'delivered', timestamp: 1_700_000_000_000 });
  });

  it('counts read and played as read', () => {
    expect(receiptStatus({ tag: 'receipt', attrs: { from: contact, id: 'A', type: 'read', t: '1' } }, 0)?.status).toBe('read');
    expect(receiptStatus({ tag: 'receipt', attrs: { from: contact, id: 'A', type: 'played', t: '1' } }, 0)?.status).toBe('read');
  });

  it('ignores receipts that are not a contact delivering or reading our message', () => {
    const receipts: Record<string, string>[] = [
      { from: contact, id: 'A', type: 'retry' },
      { from: contact, id: 'A', type: 'read-self' },
      { from: contact, id: 'A', type: 'sender' },
      { from: contact, id: 'A', recipient: '6281100000001@s.whatsapp.net' },
      { from: '1203630@g.us', id: 'A', participant: contact },
    ];
    for (const attrs of receipts) {
      expect(receiptStatus({ tag: 'receipt', attrs }, 0)).toBeNull();
    }
  });
});
