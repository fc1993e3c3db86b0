/** GET /portal-config.json: what the store tells the portal SPA about this deployment. */
import type { TokenValidityBounds } from './token-validity.ts';

export interface PortalConfig {
  /** The gateway's public URL, for the curl examples. */
  gatewayUrl: string;
  /** The client domain header the gateway reads. */
  clientDomainHeader: string;
  tokenValidity: TokenValidityBounds;
  /** The key-manager's token and authorization endpoints, for the key tab's "Get a token" panel. */
  tokenUrl: string;
  authorizeUrl: string;
  /**
   * Sign-out also ends the key-manager's own session (RP-initiated logout), or the next
   * "Sign in" on a shared computer would silently sign the previous user in again. The
   * key-manager must list postLogoutRedirectUri in PORTAL_POST_LOGOUT_REDIRECT_URIS.
   */
  endSession: { url: string; clientId: string; postLogoutRedirectUri: string };
}
