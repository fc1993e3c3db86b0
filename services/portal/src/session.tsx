/** Who is signed in and the server's portal settings, for every page. */
import { createContext, useContext } from 'react';
import type { Me, PortalConfig } from './types.ts';

export interface Session {
  me: Me;
  config: PortalConfig;
  isAdmin: boolean;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** The store's sign-in endpoint, coming back to `returnTo` afterwards. */
export function signInUrl(returnTo: string): string {
  return `/auth/login?${new URLSearchParams({ returnTo })}`;
}
