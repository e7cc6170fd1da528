// The Worker's bindings: the Durable Objects and, as plain strings, the variables worker/config.ts parses.
import type { Hub } from './hub/hub.ts';
import type { KeyGate } from './key-gate/key-gate.ts';

export interface Env {
  HUB: DurableObjectNamespace<Hub>;
  KEY_GATE: DurableObjectNamespace<KeyGate>;
  [variable: string]: unknown;
}
