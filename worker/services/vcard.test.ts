import { describe, expect, it } from 'vitest';
import { buildVcard } from './vcard.ts';

describe('buildVcard', () => {
  it('writes a vCard 3.0 with a waid per phone, so WhatsApp offers to message the number', () => {
    expect(buildVcard({ name: 'Budi Santoso', phones: ['+62 812-3456-7890'], organization: 'Toko Budi' })).toBe(
      'BEGIN:VCARD\nVERSION:3.0\nFN:Budi Santoso\nORG:Toko Budi\nTEL;type=CELL;waid=6281234567890:+6281234567890\nEND:VCARD',
    );
  });

  it('escapes what would break the card: commas, semicolons and newlines', () => {
    expect(buildVcard({ name: 'Santoso, Budi;\nEND:VCARD', phones: ['6281'] })).toContain('FN:Santoso\\, Budi\\;\\nEND:VCARD\n');
  });
});
