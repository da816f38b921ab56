import type { ConsoleKit } from '../router.ts';
import { auditPages } from './admin-audit.ts';
import { campaignPages } from './admin-campaigns.ts';
import { devicePages } from './admin-devices.ts';
import { groupPages } from './admin-groups.ts';
import { keyPages } from './admin-keys.ts';
import { profilePages } from './admin-profiles.ts';
import { queuePages } from './admin-queues.ts';
import { subscriberAdminPages } from './admin-subscribers.ts';

/**
 * The admins' pages (role admin; admin-common.ts has their frame and sub-navigation): profiles with their
 * versions, diff and preview; the device catalogue; groups; subscribers' groups; API keys; the audit log.
 */
export function adminPages(kit: ConsoleKit): void {
  profilePages(kit);
  devicePages(kit);
  groupPages(kit);
  subscriberAdminPages(kit);
  keyPages(kit);
  auditPages(kit);
  campaignPages(kit);
  queuePages(kit);
}
