// The config layer's public entry point: INI loading and validation into typed, frozen Settings.

export { renderConfigDoc } from './doc.js';
export { ConfigError, type ConfigLocation, type ConfigWarning, describeLocation } from './errors.js';
export {
  DATE_DIRECTIVES,
  type DateDirective,
  type DateFormatToken,
  LOG_ATTRIBUTES,
  type LogAttribute,
  type LogConversion,
  LogFormatError,
  type LogFormatToken,
  parseDateFormat,
  parseLogFormat,
} from './formats.js';
export { type IniDocument, type IniEntry, type IniSection, parseIni } from './ini.js';
export { defaultSettings, type KeyLines, type LoadedConfig, loadConfig, parseConfig } from './load.js';
export {
  type AdminSettings,
  type HttpApiSettings,
  JASMIN_SECTIONS,
  type LogLevelSetting,
  SCHEMA,
  type Schema,
  type Settings,
  type SmppServerSettings,
  type SmppServerTlsSettings,
  type StoreSettings,
} from './schema.js';
export type { KeySpec, SectionSpec, SectionValues, SettingValue } from './spec.js';
export {
  loadTlsCredentials,
  prepareLogFile,
  prepareLogFiles,
  resolveAdminToken,
  type TlsCredentials,
} from './startup.js';
