// The upstream SMPP client connector's public entry point (the connector manager registers it as type 'smppc').

export { type BindStatus, UpstreamBind, type UpstreamBindOptions } from './bind.js';
export { createSmppcConnector, SmppcConnector, type SmppcCounters, type SmppcLiveState } from './connector.js';
export { Pacer } from './pacer.js';
export {
  type DlrMsgidBase,
  describeRetryStatuses,
  JASMIN_SUBMIT_RETRIAL,
  parseSmppcSettings,
  type RetryRule,
  SMPPC_DEFAULTS,
  type SmppcSettings,
  SmppcSettingsError,
} from './settings.js';
export { planSubmit, type SubmitPlan } from './submit.js';
