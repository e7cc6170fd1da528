// The Worker's entry point: the HTTP app and the Durable Object classes it binds.
import { createApp } from './app.ts';

export { Hub } from './hub/hub.ts';
export { KeyGate } from './key-gate/key-gate.ts';

export default createApp();
