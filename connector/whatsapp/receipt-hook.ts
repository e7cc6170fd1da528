// Tells whether the installed Baileys has our receipt-hook patch (connector/patches), without which an
// incoming message is receipted to WhatsApp before the connector has stored it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function receiptHookInstalled(): boolean {
  const entry = createRequire(import.meta.url).resolve('@whiskeysockets/baileys');
  const source = readFileSync(join(dirname(entry), 'Socket', 'messages-recv.js'), 'utf8');
  return source.includes('config.beforeMessageReceipt');
}
