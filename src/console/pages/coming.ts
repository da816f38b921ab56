import type { Role } from '../../auth/roles.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { render, type ConsoleKit } from '../router.ts';

/**
 * Placeholders for pages that are being built: the navigation links somewhere, and the role check
 * already holds (a care key gets the 403 page). Whoever builds a page deletes its line here.
 */
const COMING: readonly { path: string; title: string; role: Role }[] = [];

export function comingPages({ router }: ConsoleKit): void {
  for (const { path, title, role } of COMING) {
    router.page(path, role, async (ctx) => {
      const body = html`<p class="empty">
        This page is coming. Until it is here, the API has it: see
        <a href="/openapi.json">the OpenAPI document</a>.
      </p>`;
      render(ctx, page({ title, session: ctx.state.session, current: path, body }));
    });
  }
}
