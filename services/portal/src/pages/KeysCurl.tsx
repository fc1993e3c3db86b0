/** The keys page's "Try it" panel: a ready-to-copy curl command through the gateway for a subscribed API. */

import { useId, useState } from 'react';
import { api, enc } from '../api.ts';
import { curlExample } from '../keys.ts';
import { samplePath } from '../openapi.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { useSubscribedApis } from '../subscribed-apis.ts';
import type { AppKey, Application } from '../types.ts';
import { Async, CopyBox, useResource } from '../ui.tsx';

export function CurlPanel(props: { app: Application; appKey: AppKey; token: string | undefined }) {
  const { config } = useSession();
  const [apiId, setApiId] = useState('');
  const selectId = useId();
  const data = useSubscribedApis(props.app.id);
  const chosen = data.state === 'ok' ? (data.data.find((a) => a.id === apiId) ?? data.data[0]) : undefined;
  const definition = useResource(
    async () =>
      chosen?.hasDefinition
        ? api.get<Record<string, unknown>>(`/api/v1/apis/${enc(chosen.id)}/definition`).catch(() => null)
        : null,
    [chosen?.id],
  );
  return (
    <section className="panel">
      <h2>Try it</h2>
      <Async resource={data} label="subscribed APIs">
        {(subscribed) =>
          subscribed.length === 0 || !chosen ? (
            <p className="muted">
              Subscribe this application to an API (
              <Link to={`/applications/${props.app.id}/subscriptions`}>Subscriptions</Link>) to get a
              ready-to-run example.
            </p>
          ) : (
            <>
              <div className="field">
                <label htmlFor={selectId}>API</label>
                <select id={selectId} value={chosen.id} onChange={(e) => setApiId(e.target.value)}>
                  {subscribed.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name} v{a.version}
                    </option>
                  ))}
                </select>
              </div>
              <CopyBox
                label="curl command"
                multiline
                testId="curl-command"
                value={curlExample({
                  gatewayUrl: config.gatewayUrl,
                  context: chosen.context,
                  path: definition.state === 'ok' ? samplePath(definition.data) : '',
                  token: props.token,
                  domainHeader: config.clientDomainHeader,
                  allowedDomains: props.appKey.allowedDomains,
                })}
              />
              {!props.token && (
                <p className="hint">Generate an access token above, or set TOKEN in your shell first.</p>
              )}
            </>
          )
        }
      </Async>
    </section>
  );
}
