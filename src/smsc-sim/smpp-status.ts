import smpp from 'smpp';

/**
 * SMPP command_status values the simulator answers with (SMPP 3.4 §5.1.3; docs/protocol.md §6.2, §6.8). Names are
 * the SMPP spec names, which node-smpp also uses.
 */
export const ESME_ROK = 0x00;
export const ESME_RINVCMDLEN = 0x02; // generic_nack injection: "the header could not be processed"
export const ESME_RINVCMDID = 0x03; // unknown command (generic_nack)
export const ESME_RINVBNDSTS = 0x04; // submit on a receiver bind, or before binding
export const ESME_RALYBND = 0x05; // bind on an already bound session
export const ESME_RBINDFAIL = 0x0d; // bind refused for another reason (forced rejection)
export const ESME_RINVPASWD = 0x0e;
export const ESME_RINVSYSID = 0x0f;
export const ESME_RMSGQFUL = 0x14; // window limit exceeded
export const ESME_RTHROTTLED = 0x58; // TPS limit exceeded

const NAME_BY_STATUS = new Map<number, string>();
for (const [name, status] of Object.entries(smpp.errors)) {
  if (!NAME_BY_STATUS.has(status)) NAME_BY_STATUS.set(status, name);
}

/** `0x58` -> `ESME_RTHROTTLED`; unknown values -> `0x00000458` style hex. */
export function statusName(status: number): string {
  return NAME_BY_STATUS.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
}

/** `ESME_RINVDSTADR` or `0x0B` or `11` -> 11; undefined when the name is unknown. */
export function parseStatus(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const named = smpp.errors[value];
  if (named !== undefined) return named;
  if (/^0x[0-9a-f]+$/i.test(value)) return Number.parseInt(value.slice(2), 16);
  if (/^[0-9]+$/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}
