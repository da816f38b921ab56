/**
 * GSM 03.38 (3GPP TS 23.038 §6.2.1) default alphabet and its extension table, for text that SMPP carries
 * one septet per octet (the usual form of data_coding 0 in short_message). One table, walked both ways:
 * the connector decodes MO text with it, the simulator encodes the MO text it injects.
 */

/** Default alphabet, indexed by septet value 0x00–0x7F (TS 23.038 §6.2.1). 0x1B is the escape. */
export const GSM_DEFAULT_ALPHABET: readonly string[] = [
  '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
  'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u001b', 'Æ', 'æ', 'ß', 'É',
  ' ', '!', '"', '#', '¤', '%', '&', "'", '(', ')', '*', '+', ',', '-', '.', '/',
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
  '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
  'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
  '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
  'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
]; // prettier-ignore

/** Escape to the extension table (TS 23.038 §6.2.1.1). */
export const GSM_ESCAPE = 0x1b;

/** Extension table: septet after 0x1B -> character (TS 23.038 §6.2.1.1). */
export const GSM_EXTENSION_TABLE: ReadonlyMap<number, string> = new Map([
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
]);

/** Septets that are not seven-bit values are masked to 7 bits, as a handset would read them. */
const SEPTET_MASK = 0x7f;

/**
 * Decodes one septet per octet. An escape followed by a septet missing from the extension table shows
 * the default-table character of that septet (TS 23.038 §6.2.1.1 note); a trailing escape is a space.
 */
export function decodeGsmUnpacked(octets: Uint8Array): string {
  let text = '';
  for (let i = 0; i < octets.length; i++) {
    const septet = octets[i] & SEPTET_MASK;
    if (septet !== GSM_ESCAPE) {
      text += GSM_DEFAULT_ALPHABET[septet];
      continue;
    }
    if (i + 1 >= octets.length) {
      text += ' ';
      break;
    }
    const next = octets[++i] & SEPTET_MASK;
    text += GSM_EXTENSION_TABLE.get(next) ?? GSM_DEFAULT_ALPHABET[next];
  }
  return text;
}

/** Character -> its septets (one, or the escape and one), built once from the two tables above. */
const SEPTETS_BY_CHARACTER = new Map<string, readonly number[]>();
GSM_DEFAULT_ALPHABET.forEach((character, septet) => {
  if (septet !== GSM_ESCAPE) SEPTETS_BY_CHARACTER.set(character, [septet]);
});
for (const [septet, character] of GSM_EXTENSION_TABLE)
  SEPTETS_BY_CHARACTER.set(character, [GSM_ESCAPE, septet]);

/** One septet per octet, or null when a character is in neither table. */
export function encodeGsmUnpacked(text: string): Uint8Array | null {
  const septets: number[] = [];
  for (const character of text) {
    const encoded = SEPTETS_BY_CHARACTER.get(character);
    if (!encoded) return null;
    septets.push(...encoded);
  }
  return Uint8Array.from(septets);
}
