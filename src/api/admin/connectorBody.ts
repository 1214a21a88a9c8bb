// Connector bodies of the admin API: `{cid, type: smppc|http|sim, settings: {…}}`.
//
// The per-type settings are the connectors' own (defined with them, issue #5); until then the admin API checks the
// common keys strictly and keeps `settings` as an open JSON object, stored as given. Unknown keys at the top level
// are refused (a misspelt `setings` must not vanish); inside `settings` anything JSON is accepted except the names
// that could reach Object.prototype.

import type { ConnectorRecord, ConnectorType } from '../../store/model.js';
import { badRequest } from '../http/errors.js';
import { expectObject, type JsonObject, rejectForbiddenKeys, rejectUnknownKeys } from '../http/validate.js';
import { expectId } from './ids.js';

/** The connector types an operator may create. */
export const CONNECTOR_TYPES: readonly ConnectorType[] = ['smppc', 'http', 'sim'];

function expectType(v: unknown, field: string): ConnectorType {
  if (typeof v !== 'string' || !(CONNECTOR_TYPES as readonly string[]).includes(v)) {
    throw badRequest(field, `must be one of ${CONNECTOR_TYPES.join(', ')}`);
  }
  return v as ConnectorType;
}

function expectSettings(v: unknown, field: string): JsonObject {
  const settings = expectObject(v, field);
  rejectForbiddenKeys(settings, field);
  return settings;
}

/** Checks a POST /connectors body; a new connector is stopped until `POST …/start`. */
export function parseNewConnector(body: unknown): ConnectorRecord {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, ['cid', 'type', 'settings'], '');
  return {
    cid: expectId(obj.cid, 'cid'),
    type: expectType(obj.type, 'type'),
    started: false,
    settings: obj.settings === undefined ? {} : expectSettings(obj.settings, 'settings'),
  };
}

/**
 * Checks a PATCH /connectors/{cid} body against the current record and returns the new record: `settings` keys
 * given replace the stored ones, a key set to null is removed; cid and type cannot change.
 */
export function applyConnectorPatch(current: ConnectorRecord, body: unknown): ConnectorRecord {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, ['cid', 'type', 'settings'], '');
  if (obj.cid !== undefined && obj.cid !== current.cid) throw badRequest('cid', 'cannot be changed');
  if (obj.type !== undefined && obj.type !== current.type) {
    throw badRequest('type', 'cannot be changed (remove the connector and add it again)');
  }
  const settings: JsonObject = { ...current.settings };
  if (obj.settings !== undefined) {
    for (const [key, value] of Object.entries(expectSettings(obj.settings, 'settings'))) {
      if (value === null) delete settings[key];
      else settings[key] = value;
    }
  }
  return { ...current, settings };
}
