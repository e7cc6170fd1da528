// The simulator's contacts run libsignal too; their session dumps are noise in tests and a cost under load.
import { muteLibsignalConsole } from '../shared/libsignal-console.ts';

/** Drops libsignal's session chatter from console output; returns a function restoring console. */
export function quietSignalLogs(): () => void {
  return muteLibsignalConsole();
}
