import type { ConsoleKit } from '../router.ts';
import { profilePages } from './admin-profiles.ts';

/** The admins' pages (role admin): profiles, devices, groups, subscribers' groups, API keys, audit, queues. */
export function adminPages(kit: ConsoleKit): void {
  profilePages(kit);
}
