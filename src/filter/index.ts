/**
 * The display-filter language shared by every command (-Y/--filter) and the TUI.
 * See docs/filter.md for the language and the list of fields.
 */
export { compileFilter, checkFilter, type PacketFilter } from './compile.js';
export { FilterError, parseFilter, type Node as FilterNode } from './syntax.js';
export {
  FIELDS,
  PROTOCOLS,
  FIELD_BY_NAME,
  PROTOCOL_BY_NAME,
  SCOPES,
  filterNames,
  protocolFields,
  type FieldDef,
  type FieldType,
  type ProtocolDef,
  type Scope,
} from './fields.js';
