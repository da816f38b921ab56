/**
 * A lean HTTP/1.1 keep-alive client for bench:vs-kannel's closed loops: one socket per connection, the
 * request written as one buffer, the answer read up to its Content-Length (RFC 9112 §6.3; both Kannel's
 * smsbox and otagw's Koa send one). node:http's client costs about as much CPU per request as a push in
 * Kannel does, and the load generator shares the machine's cores with both gateways; this one costs a
 * fraction of it. A response without Content-Length, or chunked, is an error (status 0).
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  body: string;
}

export interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string | number>;
  body?: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The request as written on the wire (Host and keep-alive added). */
export function requestBytes(host: string, port: number, request: RawRequest): Buffer {
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const lines = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    'Connection: keep-alive',
  ];
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${value}`);
  }
  if (body) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

/**
 * One complete response at the start of `buffer`: its status, body and length in octets, or undefined
 * while it is incomplete. Throws on what it cannot frame.
 */
export function parseResponse(buffer: Buffer): { status: number; body: string; length: number } | undefined {
  const end = buffer.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const head = buffer.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${head.slice(0, 40)}`);
  if (/\r\ntransfer-encoding:/i.test(head)) throw new Error('chunked response: not framed by this client');
  const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const bodyLength = lengthMatch ? Number(lengthMatch[1]) : status === 204 || status === 304 ? 0 : NaN;
  if (!Number.isFinite(bodyLength)) throw new Error('response without Content-Length');
  const total = end + HEADER_END.length + bodyLength;
  if (buffer.length < total) return undefined;
  return {
    status,
    body: buffer.subarray(end + HEADER_END.length, total).toString('utf8'),
    length: total,
  };
}

/** One keep-alive connection: one request at a time. */
export class RawConnection {
  private socket?: Socket;
  private pending: Buffer = Buffer.alloc(0);
  private waiting?: { resolve: (answer: RawAnswer) => void };

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.drain();
    });
    const fail = (): void => {
      if (this.socket === socket) this.socket = undefined;
      this.pending = Buffer.alloc(0);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.resolve({ status: 0, body: '' });
    };
    socket.on('error', fail);
    socket.on('close', fail);
    this.socket = socket;
    return socket;
  }

  private drain(): void {
    if (!this.waiting) return;
    let parsed: ReturnType<typeof parseResponse>;
    try {
      parsed = parseResponse(this.pending);
    } catch {
      this.socket?.destroy();
      return;
    }
    if (!parsed) return;
    this.pending = this.pending.subarray(parsed.length);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve({ status: parsed.status, body: parsed.body });
  }

  send(bytes: Buffer): Promise<RawAnswer> {
    return new Promise((resolve) => {
      this.waiting = { resolve };
      (this.socket ?? this.open()).write(bytes);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
