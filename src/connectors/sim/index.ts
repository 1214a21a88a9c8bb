// The simulator connector's public entry point (the connector manager registers createSimConnector for type 'sim').

export {
  createSimConnector,
  parseSimSettings,
  SIM_DEFAULTS,
  type SimClock,
  type SimConnector,
  type SimConnectorOptions,
  type SimSettings,
  SimSettingsError,
  type SimState,
  type SimStore,
} from './sim.js';
