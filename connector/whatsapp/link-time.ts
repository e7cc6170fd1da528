// When this login's device was linked: the phone stamps it (seconds) in the ADV device identity it signs at
// pairing, which Baileys keeps in creds.account. The pacing's warm-up counts a new link's age from it.
import { proto, type AuthenticationCreds } from '@whiskeysockets/baileys';

/** The link time (epoch ms), or null when the login carries none: such a number counts as warmed up. */
export function linkTimeOf(creds: Pick<AuthenticationCreds, 'account'> | undefined): number | null {
  const details = creds?.account?.details;
  if (!details || details.length === 0) return null;
  try {
    const seconds = Number(proto.ADVDeviceIdentity.decode(details).timestamp ?? 0);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : null;
  } catch {
    return null;
  }
}
