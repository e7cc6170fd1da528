// What WhatsApp's directory says about a number beyond its keys: whether it is on WhatsApp at all (the
// usync contact answer, `in` or `out`, that onWhatsApp reads) and its profile picture's URL.
export type ContactProfile = { registered: boolean; pictureUrl?: string | undefined };

export class ContactProfiles {
  #profiles = new Map<string, ContactProfile>();

  /** Every number is a WhatsApp user without a picture until told otherwise. */
  of(phone: string): ContactProfile {
    return this.#profiles.get(phone) ?? { registered: true };
  }

  set(phone: string, change: Partial<ContactProfile>): ContactProfile {
    const next = { ...this.of(phone), ...change };
    this.#profiles.set(phone, next);
    return next;
  }
}
