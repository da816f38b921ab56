import type { ConsoleKit } from '../router.ts';
import { adminPages } from './admin.ts';
import { carePages } from './care.ts';
import { comingPages } from './coming.ts';
import { eventPages } from './events.ts';
import { signInPages } from './sign-in.ts';
import { smscPages } from './smsc.ts';

/**
 * Every page module of the console, registered in this order. A new page: a file here exporting
 * `(kit: ConsoleKit) => void`, one line below, its navigation entry in layout.ts NAV (README.md).
 */
export const PAGE_MODULES: readonly ((kit: ConsoleKit) => void)[] = [
  signInPages,
  eventPages,
  carePages,
  adminPages,
  smscPages,
  comingPages,
];
