import type { ConsoleKit } from '../router.ts';
import { searchPages } from './care-search.ts';
import { subscriberPages } from './care-subscriber.ts';

/** Customer care: find a subscriber, read their timeline, resend. */
export function carePages(kit: ConsoleKit): void {
  searchPages(kit);
  subscriberPages(kit);
}
