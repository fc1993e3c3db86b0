/** Who is calling. Developers see only what they own; admins see and manage everything. */
export type Role = 'developer' | 'admin';

export interface Principal {
  /** The key-manager subject (`DOMAIN/name`); owner of the applications this caller creates. */
  subject: string;
  roles: Role[];
  via: 'session' | 'bearer';
  /** Session principals: the token cookie-authenticated writes must echo (x-csrf-token). */
  csrfToken?: string;
}

export const isAdmin = (p: Principal): boolean => p.roles.includes('admin');

/** Extra filter restricting a query to what the caller owns (nothing for admins). */
export const ownedBy = (p: Principal): Record<string, string> => (isAdmin(p) ? {} : { owner: p.subject });

/**
 * Roles from the key-manager's `roles` claim. Every signed-in user of the key-manager is a
 * developer; `admin` must be granted explicitly. Unknown role names are ignored.
 */
export function rolesFromClaim(claim: unknown): Role[] {
  const raw = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  const roles: Role[] = ['developer'];
  if (raw.some((r) => r === 'admin')) roles.push('admin');
  return roles;
}
