// Starts the simulator: one loopback HTTP server carrying the WhatsApp WebSocket (any /ws path) and
// the control API, plus the same scenario operations as methods for in-process tests.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { CertRoot } from './cert-chain.ts';
import { Connection } from './connection.ts';
import { controlApi } from './control-api.ts';
import type { ReceiptType, SimulatorEvents } from './events.ts';
import { drop, replace } from './faults.ts';
import type { InboxMessage } from './inbox.ts';
import { enterPairingCode } from './link-code.ts';
import { scan, unlink } from './linking.ts';
import type { ScanOptions } from './linking.ts';
import { contactSend, sendReceipt } from './messaging.ts';
import { DEFAULT_RECEIPT_DELAY_MS, randomSeed, receiptDelays } from './receipt-timing.ts';
import { World } from './world.ts';

export type SimulatorOptions = {
  /** 0 picks a free port. */
  port?: number;
  /** Loopback by default: the control API has no authentication. */
  host?: string;
  /** 'wrong' presents a certificate chain signed by a root nobody trusts. */
  certRoot?: CertRoot;
  /** Receipts contacts send by themselves for every message they receive. */
  autoReceipts?: ReceiptType | false;
  /** QR codes a new device gets per connection (WhatsApp sends 6). */
  qrRefs?: number;
  /** Receipts come after 0 to this many ms, as WhatsApp's do (300 by default); 0 sends them at once. */
  receiptDelayMaxMs?: number;
  /** Seeds the receipt delays; random by default. The seed used is `Simulator.seed`, to replay a run. */
  seed?: number;
};

export type Simulator = {
  /** HTTP base, e.g. "http://127.0.0.1:8790". */
  url: string;
  /** What Baileys' waWebSocketUrl should be. */
  wsUrl: string;
  port: number;
  /** The seed of this run's receipt delays. */
  seed: number;
  events: SimulatorEvents;
  /** The phone `phone` scans the QR string Baileys emitted; resolves once the device accepted pairing. */
  scan(qr: string, phone: string, options?: ScanOptions): Promise<{ jid: string }>;
  /** The phone `phone` enters the pairing code its device shows ("ABCD-EFGH"); resolves once it is linked. */
  enterPairingCode(phone: string, code: string): Promise<{ jid: string }>;
  /** Contact `from` sends `text` to the devices linked to phone `to`. */
  contactSend(from: string, to: string, text: string): Promise<{ id: string }>;
  /** What contact `phone` has received from linked devices, decrypted, oldest first. */
  inbox(phone: string): InboxMessage[];
  /** The recipient of message `id` (sent by a device) sends a receipt for it. */
  receipt(id: string, type: ReceiptType): void;
  /** The phone unlinks all its devices; connected ones are logged out (401). */
  unlink(phone: string): { devices: number };
  /** Cuts the phone's device connections (the client sees a plain close). */
  drop(phone: string): { connections: number };
  /** Tells the phone's device connections another client replaced them (440). */
  replace(phone: string): { connections: number };
  /** Ends every connection and timer and stops listening. */
  close(): Promise<void>;
};

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? randomSeed();
  const world = new World({
    certRoot: options.certRoot ?? 'test',
    autoReceipts: options.autoReceipts ?? false,
    qrRefs: options.qrRefs ?? 6,
    receiptDelay: receiptDelays({ maxDelayMs: options.receiptDelayMaxMs ?? DEFAULT_RECEIPT_DELAY_MS, seed }),
  });
  // Deflate off: frames are already encrypted, so compressing them only costs CPU.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer();
  http.on('upgrade', (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/ws')) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws, world));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const base = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const simulator: Simulator = {
    url: `http://${base}`,
    wsUrl: `ws://${base}/ws/chat`,
    port,
    seed,
    events: world.events,
    scan: (qr, phone, scanOptions) => scan(world, qr, phone, scanOptions),
    enterPairingCode: (phone, code) => enterPairingCode(world, phone, code),
    contactSend: (from, to, text) => contactSend(world, from, to, text),
    inbox: (phone) => world.inbox.messagesOf(phone),
    receipt: (id, type) => sendReceipt(world, id, type),
    unlink: (phone) => unlink(world, phone),
    drop: (phone) => drop(world, phone),
    replace: (phone) => replace(world, phone),
    close: async () => {
      world.close();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  http.on('request', controlApi(simulator));
  return simulator;
}
