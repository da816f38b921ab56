import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ConsoleContext } from './router.ts';

/** The console's scripts and styles: plain files of static/, no build step (they ship as they are). */
const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(js|css|svg)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

const cache = new Map<string, Buffer>();

/** GET /console/static/:file. Read once per process; a name outside static/ is never looked up. */
export async function serveStatic(ctx: ConsoleContext, name: string): Promise<void> {
  const match = FILE_NAME.exec(name);
  if (!match) return;
  let content = cache.get(name);
  if (!content) {
    try {
      content = await readFile(STATIC_DIR + name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    cache.set(name, content);
  }
  ctx.type = TYPES[match[1]];
  ctx.set('Cache-Control', 'no-cache');
  ctx.body = content;
}
