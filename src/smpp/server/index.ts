// The SMPP server's public entry point.

export {
  type BindSlowdownOptions,
  type ListenAddresses,
  type ServerPrincipal,
  SmppServer,
  type SmppServerOptions,
  type TlsListenOptions,
} from './server.js';
