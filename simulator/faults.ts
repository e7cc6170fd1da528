// Network and session faults a test can inflict on a phone's connected devices.
import { NotConnected } from './errors.ts';
import type { Connection } from './connection.ts';
import { CONNECTION_REPLACED, MID_SESSION_STREAM_ERRORS, type StreamErrorKind } from './stream-errors.ts';
import type { World } from './world.ts';

function connected(world: World, phone: string): Connection[] {
  const connections = world.connectionsOf(phone);
  if (connections.length === 0) throw new NotConnected(`no device of phone ${phone} is connected`);
  return connections;
}

/** Cuts the connections with no goodbye; the client sees a close that is not a logout. */
export function drop(world: World, phone: string): { connections: number } {
  const connections = connected(world, phone);
  for (const connection of connections) connection.terminate();
  return { connections: connections.length };
}

/** Tells the connections another client took over the session (stream error conflict, 440). */
export function replace(world: World, phone: string): { connections: number } {
  const connections = connected(world, phone);
  for (const connection of connections) connection.end(CONNECTION_REPLACED);
  return { connections: connections.length };
}

/**
 * Ends the connections mid-session with a stream error (500, 503, 515) or the end of the stream; what
 * was written to them and not yet receipted comes again at the next login, as for any lost connection.
 */
export function streamError(world: World, phone: string, kind: StreamErrorKind): { connections: number } {
  const connections = connected(world, phone);
  for (const connection of connections) connection.end(MID_SESSION_STREAM_ERRORS[kind]);
  return { connections: connections.length };
}

/**
 * Stalls the connections: they stay open but the server stops answering and delivering. Messages sent
 * to the phone meanwhile are written into the void and stay unreceipted, so WhatsApp delivers them again
 * once the stalled connection closes; the stall ends with the connection (the next login is normal).
 */
export function stall(world: World, phone: string): { connections: number } {
  const connections = connected(world, phone).filter((connection) => !connection.stalled);
  for (const connection of connections) connection.stalled = true;
  return { connections: connections.length };
}
