/**
 * How the virtual DM handset reaches a DM server: one HTTP POST per SyncML message, over keep-alive
 * connections (docs/protocol-dm.md §7: Content-Type of the representation, Content-Length always).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface DmHttpAnswer {
  status: number;
  contentType: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface DmTransport {
  post(url: string, body: Uint8Array, contentType: string): Promise<DmHttpAnswer>;
  close(): void;
}

export interface DmTransportOptions {
  timeoutMs?: number;
  /** TLS servers with a test certificate (the simulator is a test tool). */
  rejectUnauthorized?: boolean;
  /** sockets per server; a benchmark raises it */
  maxSockets?: number;
}

export function createDmTransport(options: DmTransportOptions = {}): DmTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxSockets = options.maxSockets ?? 16;
  const http = new HttpAgent({ keepAlive: true, maxSockets });
  const https = new HttpsAgent({
    keepAlive: true,
    maxSockets,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  });
  return {
    post: (url, body, contentType) =>
      new Promise((resolve, reject) => {
        const target = new URL(url);
        const secure = target.protocol === 'https:';
        const send = secure ? httpsRequest : httpRequest;
        const request = send(
          target,
          {
            method: 'POST',
            agent: secure ? https : http,
            timeout: timeoutMs,
            // What a DM 1.2 handset sends (docs/protocol-dm.md §7, SYM and AOSP).
            headers: {
              'Content-Type': contentType,
              'Content-Length': body.length,
              Accept: contentType,
              'Accept-Charset': 'utf-8',
              'Cache-Control': 'no-store',
              'User-Agent': 'otagw-smsc-sim DM/1.2',
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                contentType: response.headers['content-type'],
                headers: response.headers,
                body: new Uint8Array(Buffer.concat(chunks)),
              }),
            );
          },
        );
        request.on('timeout', () =>
          request.destroy(new Error(`no answer from ${target.host} in ${timeoutMs} ms`)),
        );
        request.on('error', reject);
        request.end(body);
      }),
    close: () => {
      http.destroy();
      https.destroy();
    },
  };
}
