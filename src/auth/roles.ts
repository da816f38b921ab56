/**
 * Who may call what. Each API key has exactly one role; `admin` may do everything the others may
 * (issue 5: "admin, which can also do all of the above").
 */
export const ROLES = ['network', 'care', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** True when a key with role `held` may call a route that requires `required`. */
export function roleAllows(held: Role, required: Role): boolean {
  return held === required || held === 'admin';
}
