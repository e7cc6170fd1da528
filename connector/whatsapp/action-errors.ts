// Why a chat action was refused, named for the condition; commands.ts answers each with its command error code.

/** The message is not in the recent-message store (never seen, or pruned after MESSAGE_STORE_DAYS). */
export class MessageNotFound extends Error {}
/** An edit later than WhatsApp's edit window. */
export class EditWindowClosed extends Error {}
/** An edit or revoke of a message this session did not send, or an edit of a message that is not text. */
export class NotEditable extends Error {}
