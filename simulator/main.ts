// `npm run simulator`: runs the simulator as a process, configured from the environment, until
// SIGINT or SIGTERM.
import { startSimulator } from './server.ts';
import { quietSignalLogs } from './signal-logs.ts';

function parsePort(raw: string | undefined, name = 'SIMULATOR_PORT', fallback = 8790): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

function parseAutoReceipts(raw: string | undefined): 'delivered' | 'read' | false {
  if (raw === undefined || raw === '' || raw === 'off') return false;
  if (raw === 'delivered' || raw === 'read') return raw;
  throw new Error(`SIMULATOR_AUTO_RECEIPTS must be "delivered", "read" or "off", got "${raw}"`);
}

/** A non-negative integer from the environment, or undefined when unset; a bad value fails with its name. */
function parseCount(name: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${name} must be an integer from 0 to ${max}, got "${raw}"`);
  return value;
}

quietSignalLogs();
const port = parsePort(process.env.SIMULATOR_PORT);
// Any free port by default: media_conn tells clients where the media host is.
const mediaPort = parsePort(process.env.SIMULATOR_MEDIA_PORT, 'SIMULATOR_MEDIA_PORT', 0);
const host = process.env.SIMULATOR_HOST || '127.0.0.1';
const simulator = await startSimulator({
  port,
  mediaPort,
  host,
  autoReceipts: parseAutoReceipts(process.env.SIMULATOR_AUTO_RECEIPTS),
  receiptDelayMaxMs: parseCount('SIMULATOR_RECEIPT_DELAY_MS', process.env.SIMULATOR_RECEIPT_DELAY_MS, 600_000),
  seed: parseCount('SIMULATOR_SEED', process.env.SIMULATOR_SEED, 2 ** 32 - 1),
  // Unset keeps the world in memory only: a restart then forgets every linked device.
  ...(process.env.SIMULATOR_STATE_PATH ? { statePath: process.env.SIMULATOR_STATE_PATH } : {}),
}).catch((error: unknown) => {
  // A busy port is an everyday mistake (a second copy running); it gets a sentence, not a stack trace.
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  const [name, taken] = mediaPort !== 0 && (error as { port?: number }).port === mediaPort ? ['SIMULATOR_MEDIA_PORT', mediaPort] : ['SIMULATOR_PORT', port];
  console.error(`${name} ${taken} is already in use on ${host}; choose another port`);
  process.exit(1);
});

// Handlers first, then the line a supervisor (or a test) waits for: a signal after it is always handled.
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await simulator.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
console.log(`WhatsApp simulator listening: ${simulator.url} (WebSocket ${simulator.wsUrl}, media ${simulator.mediaUrl}); receipt seed ${simulator.seed}`);
