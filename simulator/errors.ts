// Scenario errors, named for the condition; control-api.ts maps each to one HTTP status.
export class SimulatorError extends Error {}

/** The QR string is not one a Baileys device shows. */
export class InvalidQr extends SimulatorError {}
/** No connected device is showing that QR (expired, rotated away, or never shown). */
export class UnknownQr extends SimulatorError {}
/** The QR's keys do not match the connection showing it, or it is already being paired. */
export class QrMismatch extends SimulatorError {}
/** The device refused pairing (for example a forged account signature) or went away mid-way. */
export class PairingRejected extends SimulatorError {}
/** The phone has no linked device. */
export class NoLinkedDevice extends SimulatorError {}
/** None of the phone's devices is connected. */
export class NotConnected extends SimulatorError {}
/** No device sent a message with that id. */
export class UnknownMessage extends SimulatorError {}
/** The operation makes no sense for these arguments (e.g. a phone messaging itself). */
export class InvalidScenario extends SimulatorError {}
/** No group with that id. */
export class UnknownGroup extends SimulatorError {}
/** WhatsApp refuses a group operation with this code (404 no such group, 403 not a member, 401 not an admin, ...). */
export class GroupRefused extends SimulatorError {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}
