/**
 * The API page's try-it console: an operation from the API's OpenAPI document, its parameters,
 * one of the developer's subscribed applications and its key type; Send gets a short-lived
 * token from that key (POST …/keys/{type}/token with revokePrevious false, so the application's
 * own token keeps working) and calls the gateway from the browser like any consumer: the same
 * authentication, subscription, domain and rate checks. The token lives in this component's
 * memory only (never storage, never the URL) and is reused until shortly before it expires.
 * The store's CSP allows connect-src to the gateway's public origin; the gateway answers CORS.
 */
import { useId, useRef, useState } from 'react';
import type { ApiError } from '../api.ts';
import { api, enc } from '../api.ts';
import type { Operation } from '../openapi.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import {
  domainAllowed,
  domainInit,
  inputsOf,
  missingParams,
  type ParamValues,
  requestUrl,
  shownBody,
  tryItCurl,
  tryItValidity,
} from '../try-it.ts';
import type { Api, Application, AppToken, Items, AppKey as Key, KeyType, Subscription } from '../types.ts';
import { Async, asApiError, CopyBox, ErrorBox, Field, useResource } from '../ui.tsx';
import './TryIt.css';

interface Answer {
  status: number;
  statusText: string;
  ms: number;
  headers: [string, string][];
  body: ReturnType<typeof shownBody>;
}

const KEY_LABEL: Record<KeyType, string> = { PRODUCTION: 'Production', SANDBOX: 'Sandbox' };

/** Keys the console can use: the store issues their token with client credentials. */
const usable = (app: Application): Key[] =>
  app.keys.filter((k) => k.grantTypes.includes('client_credentials'));

export function TryIt(props: { apiItem: Api; ops: Operation[]; hasDefinition: boolean }) {
  const headingId = useId();
  const apps = useResource(async () => {
    const [a, s] = await Promise.all([
      api.get<Items<Application>>('/api/v1/applications'),
      api.get<Items<Subscription>>('/api/v1/subscriptions'),
    ]);
    const subscribed = new Set(
      s.items
        .filter((x) => x.apiId === props.apiItem.id && x.status === 'ACTIVE')
        .map((x) => x.applicationId),
    );
    return a.items.filter((app) => subscribed.has(app.id));
  }, [props.apiItem.id]);
  return (
    <section className="panel try-it" aria-labelledby={headingId}>
      <h2 id={headingId}>Try it</h2>
      {!props.hasDefinition ? (
        <p className="muted">This API has no OpenAPI document, so there is nothing to try here yet.</p>
      ) : props.ops.length === 0 ? (
        <p className="muted">The OpenAPI document lists no operations to try.</p>
      ) : (
        <Async resource={apps} label="your subscribed applications">
          {(list) => {
            if (list.length === 0)
              return (
                <p data-testid="try-it-empty">
                  None of your applications is subscribed to this API.{' '}
                  <a href="#subscribe">Subscribe an application</a> to try it.
                </p>
              );
            const keyed = list.filter((a) => usable(a).length > 0);
            if (keyed.length === 0)
              return (
                <p data-testid="try-it-empty">
                  Your subscribed applications have no keys yet. Generate keys on the{' '}
                  <Link to={`/applications/${list[0]!.id}/keys`}>application's Keys tab</Link> first.
                </p>
              );
            return <Console apiItem={props.apiItem} ops={props.ops} apps={keyed} />;
          }}
        </Async>
      )}
    </section>
  );
}

function Console(props: { apiItem: Api; ops: Operation[]; apps: Application[] }) {
  const { config } = useSession();
  const [opIndex, setOpIndex] = useState(0);
  const [values, setValues] = useState<ParamValues>({});
  const [body, setBody] = useState<string | undefined>();
  const [appId, setAppId] = useState(props.apps[0]!.id);
  const [keyType, setKeyType] = useState<KeyType | ''>('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [answer, setAnswer] = useState<Answer | undefined>();
  // The console's tokens, per application and key type: memory only, gone with the page.
  const tokens = useRef(new Map<string, { token: string; until: number }>());
  const [storeError, setStoreError] = useState<ApiError | undefined>();

  const op = props.ops[opIndex] ?? props.ops[0]!;
  const app = props.apps.find((a) => a.id === appId) ?? props.apps[0]!;
  const keys = usable(app);
  const key =
    keys.find((k) => k.keyType === keyType) ?? keys.find((k) => k.keyType === 'SANDBOX') ?? keys[0]!;
  const bodyText = op.body ? (body ?? op.body.example) : undefined;
  const url = requestUrl(config.gatewayUrl, props.apiItem.context, op, values);
  const portalHost = window.location.hostname;
  const domainOk = domainAllowed(key.allowedDomains, portalHost);

  const pickOp = (i: number) => {
    setOpIndex(i);
    setBody(undefined);
    setProblem(undefined);
  };

  const tokenFor = async (): Promise<string> => {
    const id = `${app.id}:${key.keyType}`;
    const cached = tokens.current.get(id);
    if (cached && cached.until > Date.now()) return cached.token;
    const t = await api.post<AppToken>(`/api/v1/applications/${enc(app.id)}/keys/${key.keyType}/token`, {
      validitySeconds: tryItValidity(config.tokenValidity),
      revokePrevious: false,
    });
    // Reused until 30 s before it expires (a never-expiring token: for this page's life).
    const until = t.expiresIn && t.expiresIn > 0 ? Date.now() + (t.expiresIn - 30) * 1000 : Infinity;
    tokens.current.set(id, { token: t.accessToken, until });
    return t.accessToken;
  };

  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setStoreError(undefined);
    const missing = missingParams(op, values);
    if (missing.length > 0) {
      setProblem(`Fill in the required parameters: ${missing.join(', ')}.`);
      return;
    }
    if (bodyText !== undefined && bodyText.trim() !== '') {
      try {
        JSON.parse(bodyText);
      } catch {
        setProblem('The request body is not valid JSON.');
        return;
      }
    }
    setBusy(true);
    try {
      let token: string;
      try {
        token = await tokenFor();
      } catch (err) {
        setStoreError(asApiError(err));
        setAnswer(undefined);
        return;
      }
      const domain = domainInit(config.clientDomainHeader, { host: window.location.host });
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...domain.headers };
      const sendBody = bodyText !== undefined && bodyText.trim() !== '' ? bodyText : undefined;
      if (sendBody !== undefined) headers['content-type'] = 'application/json';
      const started = performance.now();
      let res: Response;
      try {
        res = await fetch(url, {
          method: op.method.toUpperCase(),
          headers,
          credentials: 'omit',
          cache: 'no-store',
          ...(domain.referrerPolicy ? { referrerPolicy: domain.referrerPolicy } : {}),
          ...(sendBody !== undefined ? { body: sendBody } : {}),
        });
      } catch {
        setAnswer(undefined);
        setProblem(
          `The browser could not reach the gateway at ${config.gatewayUrl}: it is down, or its CORS answers are switched off (the gateway's CORS_ENABLED).`,
        );
        return;
      }
      const text = await res.text();
      const ms = Math.round(performance.now() - started);
      setAnswer({
        status: res.status,
        statusText: res.statusText,
        ms,
        headers: [...res.headers.entries()],
        body: shownBody(text, res.headers.get('content-type') ?? ''),
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form onSubmit={send} className="try-it-form" aria-describedby="try-it-how" noValidate>
        <p id="try-it-how" className="muted small">
          Calls go through the gateway at <code>{config.gatewayUrl}</code> with a short-lived token of the
          chosen key, like any consumer call. The token stays in this page.
        </p>
        <Field label="Operation">
          {({ id }) => (
            <select id={id} value={opIndex} onChange={(e) => pickOp(Number(e.target.value))}>
              {props.ops.map((o, i) => (
                <option key={`${o.method} ${o.path}`} value={i}>
                  {`${o.method.toUpperCase()} ${o.path}${o.summary ? ` — ${o.summary}` : ''}`}
                </option>
              ))}
            </select>
          )}
        </Field>
        {inputsOf(op).map((p) => {
          const k = `${p.in}:${p.name}`;
          const required = p.required;
          return (
            <Field
              key={`${opIndex}:${k}`}
              label={`${p.name} (${p.in} parameter${required ? ', required' : ''})`}
            >
              {({ id }) => (
                <input
                  id={id}
                  value={values[k] ?? ''}
                  required={required}
                  placeholder={p.example ?? ''}
                  onChange={(e) => setValues({ ...values, [k]: e.target.value })}
                />
              )}
            </Field>
          );
        })}
        {bodyText !== undefined && (
          <Field label={`Request body (JSON${op.body?.required ? ', required' : ''})`}>
            {({ id }) => (
              <textarea
                id={id}
                rows={6}
                spellCheck={false}
                className="mono"
                value={bodyText}
                onChange={(e) => setBody(e.target.value)}
              />
            )}
          </Field>
        )}
        <div className="grid-2 tight">
          <Field label="Application">
            {({ id }) => (
              <select id={id} value={app.id} onChange={(e) => setAppId(e.target.value)}>
                {props.apps.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Key type">
            {({ id }) => (
              <select id={id} value={key.keyType} onChange={(e) => setKeyType(e.target.value as KeyType)}>
                {keys.map((k) => (
                  <option key={k.keyType} value={k.keyType}>
                    {KEY_LABEL[k.keyType]}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {!domainOk && (
          <p className="warn" data-testid="try-it-domain-warning">
            This key's allowed domains ({key.allowedDomains.join(', ')}) do not include the portal (
            {portalHost}): the gateway will refuse calls from this page. Add {portalHost} on the{' '}
            <Link to={`/applications/${app.id}/keys`}>Keys tab</Link> to try it here.
          </p>
        )}
        <p className="try-it-url">
          <span className={`method method-${op.method}`}>{op.method.toUpperCase()}</span>{' '}
          <code data-testid="try-it-url">{url}</code>
        </p>
        {problem && (
          <p className="alert alert-error" role="alert">
            {problem}
          </p>
        )}
        <ErrorBox error={storeError} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      <AnswerPanel answer={answer} />
      <details className="try-it-curl">
        <summary>The same call with curl</summary>
        <CopyBox
          label="curl command"
          multiline
          value={tryItCurl({
            method: op.method,
            url,
            domainHeader: config.clientDomainHeader,
            portalOrigin: window.location.origin,
            body: bodyText !== undefined && bodyText.trim() !== '' ? bodyText : undefined,
          })}
        />
        <p className="muted small">$TOKEN is a token of the key: get one on the application's Keys tab.</p>
      </details>
    </>
  );
}

function statusClass(status: number): string {
  if (status >= 500) return 'status-5xx';
  if (status >= 400) return 'status-4xx';
  if (status >= 300) return 'status-3xx';
  return 'status-2xx';
}

function AnswerPanel(props: { answer: Answer | undefined }) {
  const a = props.answer;
  return (
    <div className="try-it-answer" aria-live="polite" data-testid="try-it-answer">
      {a && (
        <>
          <h3>Answer</h3>
          <p>
            <span className={`status ${statusClass(a.status)}`} data-testid="try-it-status">
              {a.status} {a.statusText}
            </span>{' '}
            <span className="muted" data-testid="try-it-time">
              in {a.ms} ms
            </span>
          </p>
          <details className="try-it-headers">
            <summary>Headers ({a.headers.length})</summary>
            <dl className="try-it-header-list" data-testid="try-it-headers">
              {a.headers.map(([name, value]) => (
                <div key={name} className="header-row">
                  <dt>{name}</dt>
                  <dd>
                    <code>{value}</code>
                  </dd>
                </div>
              ))}
            </dl>
          </details>
          {a.body.text === '' ? (
            <p className="muted">Empty body.</p>
          ) : (
            <pre className="try-it-body" data-testid="try-it-body">
              {a.body.text}
            </pre>
          )}
          {a.body.cut > 0 && (
            <p className="muted small">
              The body is cut here: {a.body.cut.toLocaleString()} more characters.
            </p>
          )}
        </>
      )}
    </div>
  );
}
