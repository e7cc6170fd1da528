// Phone numbers as the API and every event carry them: digits only, country code first (E.164 without "+").

const SEPARATORS = /[\s\-().+]/g;
const JID_SUFFIX = /@(s\.whatsapp\.net|c\.us)$/;

/**
 * Normalises what users type ("0812-3456 789", "+62 812 3456 789", "6281234@c.us") to digits with a country
 * code; a leading 0 is a national number and takes `countryCode`. Returns null when the result is not a
 * plausible number (E.164 allows at most 15 digits; fewer than 7 is never a mobile number).
 */
export function normalisePhone(input: string, countryCode: string): string | null {
  const bare = input.trim().replace(JID_SUFFIX, '').replace(SEPARATORS, '');
  if (!/^\d+$/.test(bare)) return null;
  const international = bare.startsWith('00') ? bare.slice(2) : bare.startsWith('0') ? countryCode + bare.slice(1) : bare;
  if (international.length < 7 || international.length > 15 || international.startsWith('0')) return null;
  return international;
}
