/**
 * The key tab's "Get a token" panel (WSO2's "Generate Access Tokens" for both kinds of token):
 * the token endpoint, always shown, and a ready curl for each grant the key allows — client
 * credentials (application tokens), password for a user of a chosen user-store domain, the
 * authorization code with PKCE from a registered callback, and the refresh that renews a user
 * token. Secrets and passwords stay in the developer's shell ($CONSUMER_SECRET, $PASSWORD).
 */
import { useId, useState } from 'react';
import { authorizeUrl, tokenCurl } from '../keys.ts';
import { useSession } from '../session.tsx';
import type { AppKey } from '../types.ts';
import { CopyBox } from '../ui.tsx';

export function GetTokenPanel(props: { appKey: AppKey }) {
  const { config } = useSession();
  const key = props.appKey;
  const allows = (g: string) => key.grantTypes.includes(g);
  const [domain, setDomain] = useState('PRIMARY');
  const [user, setUser] = useState('');
  const domainId = useId();
  const userId = useId();
  const kind = key.keyType === 'PRODUCTION' ? 'production' : 'sandbox';
  const base = { tokenUrl: config.tokenUrl, consumerKey: key.consumerKey };
  const redirectUri = key.callbackUrls[0] ?? '';
  const userTokens = allows('password') || allows('authorization_code');
  return (
    <section className="panel" aria-labelledby={`get-token-${kind}`}>
      <h2 id={`get-token-${kind}`}>Get a token</h2>
      <CopyBox label="Token endpoint" value={config.tokenUrl} testId={`token-endpoint-${kind}`} />
      <p className="hint">
        Every command reads the consumer secret from <code>$CONSUMER_SECRET</code> in your shell (
        <code>read -rs CONSUMER_SECRET; export CONSUMER_SECRET</code>).
      </p>
      {allows('client_credentials') && (
        <>
          <h3>Application token (client credentials)</h3>
          <CopyBox
            label="Client credentials curl"
            multiline
            testId={`curl-client-credentials-${kind}`}
            value={tokenCurl({ ...base, grant: 'client_credentials' })}
          />
        </>
      )}
      {allows('password') && (
        <>
          <h3>User token (password)</h3>
          <div className="grid-2 compact">
            <div className="field">
              <label htmlFor={domainId}>User store domain</label>
              <input
                id={domainId}
                value={domain}
                spellCheck={false}
                onChange={(e) => setDomain(e.target.value.replace(/[^A-Za-z0-9_.-]/g, '').toUpperCase())}
              />
            </div>
            <div className="field">
              <label htmlFor={userId}>User name</label>
              <input
                id={userId}
                value={user}
                spellCheck={false}
                placeholder="alice"
                onChange={(e) => setUser(e.target.value.replace(/[/\s]/g, ''))}
              />
            </div>
          </div>
          <CopyBox
            label="Password grant curl"
            multiline
            testId={`curl-password-${kind}`}
            value={tokenCurl({
              ...base,
              grant: 'password',
              username: `${domain || 'PRIMARY'}/${user || 'USERNAME'}`,
            })}
          />
          <p className="hint">
            The user's password is read from <code>$PASSWORD</code>.
          </p>
        </>
      )}
      {allows('authorization_code') && (
        <>
          <h3>User token (authorization code with PKCE)</h3>
          {redirectUri ? (
            <>
              <p>
                Send the user's browser to this address (with your own <code>code_challenge</code>, the S256
                hash of a random <code>code_verifier</code>); the key-manager signs them in and sends the code
                to <code>{redirectUri}</code>.
              </p>
              <CopyBox
                label="Authorization URL"
                multiline
                testId={`authorize-url-${kind}`}
                value={authorizeUrl({
                  authorizeUrl: config.authorizeUrl,
                  consumerKey: key.consumerKey,
                  redirectUri,
                  codeChallenge: 'CODE_CHALLENGE',
                })}
              />
              <CopyBox
                label="Code exchange curl"
                multiline
                testId={`curl-authorization-code-${kind}`}
                value={tokenCurl({ ...base, grant: 'authorization_code', redirectUri })}
              />
            </>
          ) : (
            <p className="muted">Add a callback URL in the key settings to use this grant.</p>
          )}
        </>
      )}
      {userTokens && (
        <>
          <h3>Renew a user token</h3>
          {allows('refresh_token') ? (
            <>
              <p>
                A user token comes with a refresh token. Exchange it for a new pair before the access token
                expires; each refresh token works once (reusing one revokes the whole grant).
              </p>
              <CopyBox
                label="Refresh token curl"
                multiline
                testId={`curl-refresh-token-${kind}`}
                value={tokenCurl({ ...base, grant: 'refresh_token' })}
              />
            </>
          ) : (
            <p className="muted">
              Allow the refresh token grant in the key settings to renew user tokens without asking for the
              password again.
            </p>
          )}
        </>
      )}
    </section>
  );
}
