/**
 * WDP application ports used with the 16-bit port-addressing UDH element (docs/protocol.md §5.1; Wireshark
 * `packet-wap.h`, smsj `SmsPort`, Kannel and Gammu for the Nokia ports).
 */

/** WAP connectionless push (WSP) — the destination of every WAP push. */
export const WAP_PUSH_PORT = 2948;
/** WAP connectionless session service: the conventional source port of a push (docs/protocol.md §10 #9). */
export const WAP_CL_SESSION_PORT = 9200;
/** Nokia/Ericsson OTA browser settings and bookmarks (docs/protocol.md §5.1, §7). */
export const NOKIA_OTA_SETTINGS_PORT = 49999;
/** Source port Kannel and smsj use for Nokia OTA; handsets route on the destination (docs/protocol.md §10 #10). */
export const NOKIA_OTA_SOURCE_PORT = 49154;
