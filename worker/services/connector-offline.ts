// When a session's stored status does not hold: a status that needs a watching connector, with none attached.
import type { SessionStatus } from '../../shared/status.ts';

/**
 * A snapshot is only as fresh as its connector's link: without one, nothing is watching WhatsApp, and that
 * is why the session cannot be used, whatever it last reported.
 */
export function isConnectorOffline(status: SessionStatus, connectorAttached: boolean): boolean {
  return !connectorAttached && (status === 'WORKING' || status === 'STARTING' || status === 'SCAN_QR_CODE');
}
