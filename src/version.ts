/** The smppgate version, reported in logs and the admin API. */
export const VERSION = '0.1.0';
