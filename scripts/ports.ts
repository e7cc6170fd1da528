// The loopback ports a local stack listens on, and whether something else holds them already: checked
// before anything starts, so a second `npm start` never runs half a stack against the first one's ports.
import { createServer } from 'node:net';

export type PortNeed = { variable: string; port: number };

export class PortConfigError extends Error {
  override name = 'PortConfigError';
}

function portOf(env: NodeJS.ProcessEnv, variable: string, fallback: number | undefined): number | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new PortConfigError(`${variable} must be a port number, got "${raw}"`);
  return port;
}

/** PORT always, SIMULATOR_PORT with WA_SIMULATOR, LIBSQL_PORT when set and the local database is used; 0 means any. */
export function portsNeeded(env: NodeJS.ProcessEnv, simulatorMode: boolean): PortNeed[] {
  const needs: PortNeed[] = [{ variable: 'PORT', port: portOf(env, 'PORT', 8787)! }];
  if (needs[0]!.port === 0) throw new PortConfigError('PORT must name a port (the Worker cannot pick one), got "0"');
  if (simulatorMode) needs.push({ variable: 'SIMULATOR_PORT', port: portOf(env, 'SIMULATOR_PORT', 8790)! });
  const libsql = env.TURSO_DATABASE_URL ? undefined : portOf(env, 'LIBSQL_PORT', undefined);
  if (libsql !== undefined) needs.push({ variable: 'LIBSQL_PORT', port: libsql });
  const fixed = needs.filter((need) => need.port !== 0);
  for (const need of fixed) {
    const twin = fixed.find((other) => other !== need && other.port === need.port);
    if (twin) throw new PortConfigError(`${need.variable} and ${twin.variable} are both ${need.port}; each needs its own port`);
  }
  return needs;
}

/** The needs whose port cannot be bound on `host` right now. */
export async function takenPorts(needs: PortNeed[], host = '127.0.0.1'): Promise<PortNeed[]> {
  const taken: PortNeed[] = [];
  for (const need of needs) {
    if (need.port !== 0 && !(await canListen(need.port, host))) taken.push(need);
  }
  return taken;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The one line a busy port gets, naming the variable to change. */
export function portTakenMessage(taken: PortNeed[]): string {
  const list = taken.map(({ variable, port }) => `${variable}=${port}`).join(', ');
  return `cannot start: port already in use (${list}); is another kabar stack running? Stop it or choose free ports.`;
}
