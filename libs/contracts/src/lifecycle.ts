/**
 * The API lifecycle, as in WSO2 API Manager: only PUBLISHED takes new subscriptions; RETIRED is
 * final. The store enforces these transitions (domain/catalog.ts) and the portal offers exactly
 * them (AdminApis.tsx): one table for both.
 */
export const LIFECYCLES = ['CREATED', 'PUBLISHED', 'DEPRECATED', 'BLOCKED', 'RETIRED'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const LIFECYCLE_TRANSITIONS: Readonly<Record<Lifecycle, readonly Lifecycle[]>> = {
  CREATED: ['PUBLISHED', 'RETIRED'],
  PUBLISHED: ['DEPRECATED', 'BLOCKED', 'CREATED'],
  DEPRECATED: ['RETIRED', 'PUBLISHED'],
  BLOCKED: ['PUBLISHED', 'DEPRECATED'],
  RETIRED: [],
};

export function canTransition(from: Lifecycle, to: Lifecycle): boolean {
  return LIFECYCLE_TRANSITIONS[from].includes(to);
}
