/**
 * Content-type-value (WAP-230-WSP 8.4.2.24) and its parameters (8.4.2.4), docs/protocol.md §4.3. Encoding and
 * decoding walk the same tables (tables.ts) and the same per-kind value codecs (below).
 */
import { ByteReader } from '../bytes/reader.ts';
import { ByteWriter } from '../bytes/writer.ts';
import { CodecError } from '../errors.ts';
import {
  LENGTH_QUOTE,
  NO_VALUE,
  SHORT_INTEGER_FLAG,
  SHORT_INTEGER_MAX,
  SHORT_LENGTH_MAX,
  TEXT_FIRST_OCTET,
  readCString,
  readIntegerValue,
  readLongInteger,
  readShortInteger,
  readTextString,
  readTextValue,
  readValueLength,
  writeIntegerValue,
  writeLongInteger,
  writeShortInteger,
  writeTextString,
  writeTextValue,
  writeTokenText,
  writeValueLength,
} from './primitives.ts';
import {
  ANY_CHARSET,
  WSP_PARAMETERS,
  charsetMibEnum,
  charsetName,
  contentTypeCode,
  contentTypeName,
  headerFieldCode,
  headerFieldName,
  isWellKnownParameterName,
  parameterByWireCode,
  unknownParameterCode,
  unknownParameterName,
  type ParameterValueKind,
  type WspParameterDefinition,
} from './tables.ts';
import type { WspContentType, WspParameter } from './types.ts';

type JsValueType = 'string' | 'number';

interface ValueCodec {
  accepts: readonly JsValueType[];
  read(reader: ByteReader): string | number;
  write(writer: ByteWriter, value: string | number, name: string): void;
}

/** Any-charset is Short-integer 0 (WSP 8.4.2.8). */
const ANY_CHARSET_OCTET = SHORT_INTEGER_FLAG | 0;
/** Version-value: major in bits 6-4, minor in 3-0, minor 15 = none given (WSP 8.4.2.3). */
const VERSION_MINOR_NONE = 0x0f;
/** Q-value (WSP 8.4.2.1): uintvar 1-100 = two decimals, 101-1099 = three decimals. */
const Q_TWO_DECIMALS_MAX = 100;
const Q_THREE_DECIMALS_MAX = 1099;

function expectNumber(value: string | number, name: string): number {
  if (typeof value !== 'number') throw badValue(name, value);
  return value;
}

function expectString(value: string | number, name: string): string {
  if (typeof value !== 'string') throw badValue(name, value);
  return value;
}

function badValue(name: string, value: unknown): CodecError {
  return new CodecError(
    'WSP_BAD_PARAMETER_VALUE',
    `bad value for parameter ${name}: ${JSON.stringify(value)}`,
  );
}

/** A value written as Integer-value or text, whichever its first octet says (Untyped-value, 8.4.2.4). */
function readUntypedValue(reader: ByteReader): string | number {
  const first = reader.peek('parameter value');
  if (first !== NO_VALUE && (first >= SHORT_INTEGER_FLAG || first <= SHORT_LENGTH_MAX)) {
    return readIntegerValue(reader, 'parameter value');
  }
  return readTextValue(reader, 'parameter value');
}

function writeUntypedValue(writer: ByteWriter, value: string | number, name: string): void {
  if (typeof value === 'number') writeIntegerValue(writer, value);
  else writeTextValue(writer, value, `parameter ${name}`);
}

const VALUE_CODECS: Record<ParameterValueKind, ValueCodec> = {
  'q-value': {
    accepts: ['number'],
    read(reader) {
      const offset = reader.offset;
      const encoded = reader.uintvar('Q-value');
      if (encoded >= 1 && encoded <= Q_TWO_DECIMALS_MAX) return (encoded - 1) / 100;
      if (encoded > Q_TWO_DECIMALS_MAX && encoded <= Q_THREE_DECIMALS_MAX) return (encoded - 100) / 1000;
      throw new CodecError('WSP_BAD_PARAMETER_VALUE', `Q-value out of range: ${encoded}`, offset);
    },
    write(writer, value, name) {
      const q = expectNumber(value, name);
      if (!(q >= 0 && q < 1)) throw badValue(name, value);
      const hundredths = Math.round(q * 100);
      if (Math.abs(q * 100 - hundredths) < 1e-9) writer.uintvar(hundredths + 1);
      else writer.uintvar(Math.round(q * 1000) + 100);
    },
  },
  'well-known-charset': {
    accepts: ['string', 'number'],
    read(reader) {
      const first = reader.peek('charset');
      if (first === ANY_CHARSET_OCTET) {
        reader.u8();
        return ANY_CHARSET;
      }
      // Some senders put the charset name as text; accept it (lower-cased) rather than fail.
      if (first >= TEXT_FIRST_OCTET && first < SHORT_INTEGER_FLAG)
        return readTextString(reader, 'charset').toLowerCase();
      const mibEnum = readIntegerValue(reader, 'charset');
      return charsetName(mibEnum) ?? mibEnum;
    },
    write(writer, value, name) {
      if (typeof value === 'number') {
        writeIntegerValue(writer, value);
        return;
      }
      if (value === ANY_CHARSET) {
        writer.u8(ANY_CHARSET_OCTET);
        return;
      }
      const mibEnum = charsetMibEnum(value);
      if (mibEnum === undefined)
        throw new CodecError('WSP_UNKNOWN_CHARSET', `no MIBenum known for charset ${value} (${name})`);
      writeIntegerValue(writer, mibEnum);
    },
  },
  'version-value': {
    accepts: ['string'],
    read(reader) {
      const first = reader.peek('Version-value');
      if (first < SHORT_INTEGER_FLAG) return readTextString(reader, 'Version-value');
      const octet = reader.u8() & SHORT_INTEGER_MAX;
      const major = octet >> 4;
      const minor = octet & VERSION_MINOR_NONE;
      return minor === VERSION_MINOR_NONE ? `${major}` : `${major}.${minor}`;
    },
    write(writer, value, name) {
      const text = expectString(value, name);
      const match = /^([1-7])(?:\.([0-9]|1[0-4]))?$/.exec(text);
      if (!match) {
        writeTextString(writer, text, `parameter ${name}`);
        return;
      }
      const minor = match[2] === undefined ? VERSION_MINOR_NONE : Number(match[2]);
      writeShortInteger(writer, (Number(match[1]) << 4) | minor);
    },
  },
  'integer-value': {
    accepts: ['number'],
    read: (reader) => readIntegerValue(reader),
    write: (writer, value, name) => writeIntegerValue(writer, expectNumber(value, name)),
  },
  'short-integer': {
    accepts: ['number'],
    read: (reader) => readShortInteger(reader),
    write: (writer, value, name) => writeShortInteger(writer, expectNumber(value, name)),
  },
  'text-string': {
    accepts: ['string'],
    read: (reader) => readTextString(reader),
    write: (writer, value, name) => writeTextString(writer, expectString(value, name), `parameter ${name}`),
  },
  'text-value': {
    accepts: ['string'],
    read: (reader) => readTextValue(reader),
    write: (writer, value, name) => writeTextValue(writer, expectString(value, name), `parameter ${name}`),
  },
  'no-value': {
    accepts: ['string'],
    read(reader) {
      const offset = reader.offset;
      if (reader.u8('No-value') !== NO_VALUE)
        throw new CodecError('WSP_BAD_PARAMETER_VALUE', 'expected No-value', offset);
      return '';
    },
    write(writer, value, name) {
      if (value !== '') throw badValue(name, value);
      writer.u8(NO_VALUE);
    },
  },
  'date-value': {
    accepts: ['number'],
    // Date-value is a Long-integer; a Short-integer is tolerated on reading.
    read: (reader) => readIntegerValue(reader, 'Date-value'),
    write: (writer, value, name) => writeLongInteger(writer, expectNumber(value, name)),
  },
  'field-name': {
    accepts: ['string'],
    read(reader) {
      if (reader.peek('Field-name') >= SHORT_INTEGER_FLAG) return headerFieldName(readShortInteger(reader));
      return readCString(reader, 'Field-name');
    },
    write(writer, value, name) {
      const text = expectString(value, name);
      const code = headerFieldCode(text);
      if (code !== undefined && code <= SHORT_INTEGER_MAX) writeShortInteger(writer, code);
      else writeTokenText(writer, text, `parameter ${name}`);
    },
  },
  'constrained-encoding': {
    accepts: ['string'],
    read(reader) {
      if (reader.peek('Constrained-encoding') >= SHORT_INTEGER_FLAG)
        return contentTypeName(readShortInteger(reader));
      return readTextString(reader, 'Constrained-encoding');
    },
    write(writer, value, name) {
      const text = expectString(value, name);
      const code = contentTypeCode(text);
      if (code !== undefined && code <= SHORT_INTEGER_MAX) writeShortInteger(writer, code);
      else writeTokenText(writer, text, `parameter ${name}`);
    },
  },
};

/** name + JS type of the value -> the first table entry that takes it (older WSP codes first). */
const parameterForEncoding = new Map<string, WspParameterDefinition>();
for (const definition of WSP_PARAMETERS) {
  for (const jsType of VALUE_CODECS[definition.kind].accepts) {
    const key = `${definition.name}:${jsType}`;
    if (!parameterForEncoding.has(key)) parameterForEncoding.set(key, definition);
  }
}

function writeParameter(writer: ByteWriter, parameter: WspParameter): void {
  const { name, value } = parameter;
  if (typeof value !== 'string' && typeof value !== 'number') throw badValue(name, value);
  const canonical = name.toLowerCase();
  const definition = parameterForEncoding.get(`${canonical}:${typeof value}`);
  if (definition) {
    writeIntegerValue(writer, definition.code);
    VALUE_CODECS[definition.kind].write(writer, value, canonical);
    return;
  }
  if (isWellKnownParameterName(canonical)) throw badValue(name, value);
  const unknownCode = unknownParameterCode(canonical);
  if (unknownCode !== undefined) writeIntegerValue(writer, unknownCode);
  else writeTokenText(writer, name, 'parameter name');
  writeUntypedValue(writer, value, name);
}

function readParameter(reader: ByteReader): WspParameter {
  const offset = reader.offset;
  const first = reader.peek('parameter');
  if (first === LENGTH_QUOTE || first === NO_VALUE) {
    throw new CodecError('WSP_BAD_PARAMETER', `parameter cannot start with 0x${first.toString(16)}`, offset);
  }
  if (first >= SHORT_INTEGER_FLAG || first <= SHORT_LENGTH_MAX) {
    // Typed-parameter: Well-known-parameter-token (Integer-value) + Typed-value.
    const code = readIntegerValue(reader, 'parameter token');
    const definition = parameterByWireCode(code);
    if (!definition) return { name: unknownParameterName(code), value: readUntypedValue(reader) };
    return { name: definition.name, value: VALUE_CODECS[definition.kind].read(reader) };
  }
  // Untyped-parameter: Token-text + Untyped-value.
  const name = readCString(reader, 'parameter name');
  return { name, value: readUntypedValue(reader) };
}

function writeMediaText(writer: ByteWriter, mediaType: string): void {
  writeTokenText(writer, mediaType, 'media type');
}

/**
 * Content-type-value (docs/protocol.md §4.3): Constrained-media (one Short-integer, or text) when there are no
 * parameters; otherwise Content-general-form `Value-length Media-type *(Parameter)`.
 */
export function writeContentType(writer: ByteWriter, contentType: WspContentType): void {
  const { mediaType, parameters } = contentType;
  if (typeof mediaType !== 'string' || mediaType.length === 0) {
    throw new CodecError('WSP_BAD_MEDIA_TYPE', 'the content type needs a media type');
  }
  const code = contentType.encodeAsText ? undefined : contentTypeCode(mediaType);
  if (parameters.length === 0) {
    if (code === undefined) {
      writeMediaText(writer, mediaType);
      return;
    }
    if (code <= SHORT_INTEGER_MAX) {
      writer.u8(SHORT_INTEGER_FLAG | code);
      return;
    }
    // A registered (Long-integer) code is not a Constrained-media: fall through to the general form.
  }
  const general = new ByteWriter(64);
  if (code === undefined) writeMediaText(general, mediaType);
  else writeIntegerValue(general, code);
  for (const parameter of parameters) writeParameter(general, parameter);
  const encoded = general.toBytes();
  writeValueLength(writer, encoded.length);
  writer.bytes(encoded);
}

/** The media type of a Well-known-media code; `encodeAsText` is false. */
function mediaFromCode(code: number): { mediaType: string; encodeAsText: boolean } {
  return { mediaType: contentTypeName(code), encodeAsText: false };
}

/** A media type met as text: flag it when it has a code, so re-encoding keeps the text form. */
function mediaFromText(text: string): { mediaType: string; encodeAsText: boolean } {
  return { mediaType: text, encodeAsText: contentTypeCode(text) !== undefined };
}

function contentTypeResult(
  media: { mediaType: string; encodeAsText: boolean },
  parameters: WspParameter[],
): WspContentType {
  const result: WspContentType = { mediaType: media.mediaType, parameters };
  if (media.encodeAsText) result.encodeAsText = true;
  return result;
}

/** Reads one Content-type-value; the reader must be bounded by the end of the header block. */
export function readContentType(reader: ByteReader): WspContentType {
  const offset = reader.offset;
  const first = reader.peek('content type');
  if (first >= SHORT_INTEGER_FLAG)
    return contentTypeResult(mediaFromCode(reader.u8() & SHORT_INTEGER_MAX), []);
  if (first >= TEXT_FIRST_OCTET)
    return contentTypeResult(mediaFromText(readTextString(reader, 'media type')), []);

  const length = readValueLength(reader, 'content type length');
  if (length > reader.remaining) {
    throw new CodecError(
      'WSP_BAD_CONTENT_TYPE_LENGTH',
      `content type claims ${length} octets, ${reader.remaining} remain in the headers`,
      offset,
    );
  }
  const end = reader.offset + length;
  const inner = new ByteReader(reader.bytes, reader.offset, end);
  const mediaFirst = inner.peek('media type');
  let media: { mediaType: string; encodeAsText: boolean };
  if (mediaFirst >= SHORT_INTEGER_FLAG) media = mediaFromCode(inner.u8() & SHORT_INTEGER_MAX);
  else if (mediaFirst >= TEXT_FIRST_OCTET) media = mediaFromText(readTextString(inner, 'media type'));
  else if (mediaFirst >= 1 && mediaFirst <= SHORT_LENGTH_MAX)
    media = mediaFromCode(readLongInteger(inner, 'media type'));
  else
    throw new CodecError(
      'WSP_BAD_CONTENT_TYPE',
      `bad media type octet 0x${mediaFirst.toString(16)}`,
      inner.offset,
    );
  const parameters: WspParameter[] = [];
  while (!inner.atEnd) parameters.push(readParameter(inner));
  reader.offset = end;
  return contentTypeResult(media, parameters);
}
