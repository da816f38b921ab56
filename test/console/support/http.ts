/**
 * The console over plain HTTP, for tests without a browser: a cookie jar over fetch that signs in
 * through the form, and a reader of the console's event stream.
 */
import { expect } from 'vitest';
import type { ApiHarness } from '../../http/support/api-harness.ts';

/** A browser's cookie jar for one origin, reduced to what the console sets. */
export class Visitor {
  private readonly cookies = new Map<string, string>();
  lastSetCookies: string[] = [];
  constructor(private readonly api: ApiHarness) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('Cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(this.api.url + path, { ...init, headers, redirect: 'manual' });
    this.lastSetCookies = response.headers.getSetCookie();
    for (const line of this.lastSetCookies) {
      const [pair] = line.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields),
    });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Signs in through the form; answers the page's CSRF token. */
  async signIn(key: string): Promise<string> {
    const form = await (await this.fetch('/console/sign-in')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(form)![1];
    const answer = await this.post('/console/sign-in', { _csrf: token, key });
    expect(answer.status).toBe(303);
    const page = await (await this.fetch(answer.headers.get('location')!)).text();
    return /data-csrf="([^"]+)"/.exec(page)![1];
  }
}

/** Reads an SSE body until `count` events arrived (or the time is up); answers their types and data. */
export async function readEvents(response: Response, count: number, timeoutMs = 2_000) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: { type: string; data: Record<string, unknown> }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (events.length < count && Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<undefined>((done) => setTimeout(() => done(undefined), deadline - Date.now())),
    ]);
    if (!chunk || chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const type = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
      if (type && data) events.push({ type, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}
