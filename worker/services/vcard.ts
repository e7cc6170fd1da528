// The vCard 3.0 a contact card carries on WhatsApp, written for a user who gave a name and phones. The `waid`
// parameter is what makes WhatsApp show "Message" / "Add" buttons for the number.
export type CardInput = { name: string; phones: string[]; organization?: string | undefined; email?: string | undefined };

/** vCard text values escape backslash, comma, semicolon and newlines (RFC 2426, section 4). */
function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/;/g, '\\;').replace(/\r?\n/g, '\\n');
}

export function buildVcard(card: CardInput): string {
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `FN:${escape(card.name)}`];
  if (card.organization) lines.push(`ORG:${escape(card.organization)}`);
  if (card.email) lines.push(`EMAIL:${escape(card.email)}`);
  for (const phone of card.phones) {
    const digits = phone.replace(/\D/g, '');
    lines.push(`TEL;type=CELL;waid=${digits}:+${digits}`);
  }
  lines.push('END:VCARD');
  return lines.join('\n');
}
