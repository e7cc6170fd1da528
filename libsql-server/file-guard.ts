// Refuses statements that reach files other than the database itself, as sqld does: ATTACH (and so
// VACUUM INTO, which attaches its target), DETACH, load_extension() and the pragmas that move files.
// An authorizer sees every statement SQLite compiles, including each one of a `sequence`, and a trigger
// body, so no spelling of these gets past it; the client gets SQLITE_AUTH "not authorized".
import { constants, type DatabaseSync } from 'node:sqlite';

const FILE_PRAGMAS = new Set(['temp_store_directory', 'data_store_directory']);
const FILE_FUNCTIONS = new Set(['load_extension']);

export function refuseFileAccess(db: DatabaseSync): void {
  db.setAuthorizer((action, first, second) => {
    switch (action) {
      // A plain VACUUM attaches a private temporary database with an empty name; that touches no path.
      case constants.SQLITE_ATTACH: return first === '' ? constants.SQLITE_OK : constants.SQLITE_DENY;
      case constants.SQLITE_DETACH: return constants.SQLITE_DENY;
      case constants.SQLITE_PRAGMA: return FILE_PRAGMAS.has(first?.toLowerCase() ?? '') ? constants.SQLITE_DENY : constants.SQLITE_OK;
      case constants.SQLITE_FUNCTION: return FILE_FUNCTIONS.has(second?.toLowerCase() ?? '') ? constants.SQLITE_DENY : constants.SQLITE_OK;
      default: return constants.SQLITE_OK;
    }
  });
}
