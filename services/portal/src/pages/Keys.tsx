/**
 * The application's keys, one tab per key type (Production, Sandbox), as in WSO2's store:
 * generate keys (consumer key; consumer secret shown once), allowed domains and token validity,
 * generate/regenerate the application access token (shown once), regenerate the secret, revoke,
 * and a ready-to-copy curl command through the gateway for a subscribed API.
 */
import type { KeyboardEvent } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import { api, enc } from '../api.ts';
import { parseDomains, parseGrants, parseValidity } from '../keys.ts';
import { useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { AppKey, Application, AppToken, GeneratedKey, KeyType } from '../types.ts';
import { CopyBox, ErrorBox, Field, formatSeconds, Notice, useAction, useConfirm } from '../ui.tsx';
import { CurlPanel } from './KeysCurl.tsx';
import { GetTokenPanel } from './KeysToken.tsx';

interface KeySettings {
  allowedDomains: string[];
  validitySeconds: number;
  grantTypes: string[];
  callbackUrls: string[];
}

const GRANTS = [
  { type: 'client_credentials', label: 'Client credentials', hint: 'application tokens' },
  { type: 'password', label: 'Password', hint: 'user tokens from a user name and password' },
  { type: 'authorization_code', label: 'Authorization code with PKCE', hint: 'user sign-in in a browser' },
  { type: 'refresh_token', label: 'Refresh token', hint: 'renew user tokens' },
] as const;

const TYPES: { type: KeyType; label: string; hint: string }[] = [
  { type: 'PRODUCTION', label: 'Production keys', hint: 'Reach the production endpoints of your APIs.' },
  { type: 'SANDBOX', label: 'Sandbox keys', hint: 'Reach the sandbox endpoints, for testing.' },
];

export function KeysSection(props: { app: Application; onChange: () => void }) {
  const { query } = useLocation();
  const [active, setActive] = useState<KeyType>(query.get('type') === 'sandbox' ? 'SANDBOX' : 'PRODUCTION');
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const base = useId();
  const onKey = (e: KeyboardEvent, i: number) => {
    const next =
      e.key === 'ArrowRight'
        ? (i + 1) % TYPES.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + TYPES.length) % TYPES.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? TYPES.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    setActive(TYPES[next]!.type);
    tabs.current[next]?.focus();
  };
  return (
    <section aria-label="Keys">
      <div role="tablist" aria-label="Key type" className="tabs">
        {TYPES.map((t, i) => (
          <button
            key={t.type}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`${base}-tab-${t.type}`}
            aria-selected={active === t.type}
            aria-controls={`${base}-panel-${t.type}`}
            tabIndex={active === t.type ? 0 : -1}
            className="tab"
            onClick={() => setActive(t.type)}
            onKeyDown={(e) => onKey(e, i)}
          >
            {t.label}
          </button>
        ))}
      </div>
      {TYPES.map((t) => (
        <div
          key={t.type}
          role="tabpanel"
          id={`${base}-panel-${t.type}`}
          aria-labelledby={`${base}-tab-${t.type}`}
          hidden={active !== t.type}
          className="tabpanel"
        >
          <p className="muted">{t.hint}</p>
          <KeyPanel
            app={props.app}
            keyType={t.type}
            current={props.app.keys.find((k) => k.keyType === t.type)}
            onChange={props.onChange}
          />
        </div>
      ))}
    </section>
  );
}

function KeyPanel(props: {
  app: Application;
  keyType: KeyType;
  current: AppKey | undefined;
  onChange: () => void;
}) {
  const [secret, setSecret] = useState<string | undefined>();
  const [token, setToken] = useState<AppToken | undefined>();
  // Generate and Revoke remove the button that was pressed: focus moves to what replaced it (the
  // new keys' heading, the "revoked" message) instead of dropping to <body>, and the live region
  // says what happened.
  const [announce, setAnnounce] = useState('');
  const [focusOn, setFocusOn] = useState<'keys' | 'revoked' | undefined>();
  const keysHeading = useRef<HTMLHeadingElement>(null);
  const revokedNote = useRef<HTMLParagraphElement>(null);
  const hasKey = Boolean(props.current);
  useEffect(() => {
    const target =
      focusOn === 'keys' && hasKey ? keysHeading : focusOn === 'revoked' && !hasKey ? revokedNote : null;
    if (!target?.current) return;
    target.current.focus();
    setFocusOn(undefined);
  }, [focusOn, hasKey]);
  // The validity field is shared: Regenerate issues the token with what the form shows.
  const [validity, setValidity] = useState(props.current ? String(props.current.validitySeconds) : '');
  const saved = props.current ? String(props.current.validitySeconds) : '';
  // New keys or saved settings: the field starts again from what the store holds.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the saved key changes
  useEffect(() => setValidity(saved), [saved, props.current?.consumerKey]);
  const path = `/api/v1/applications/${enc(props.app.id)}/keys/${props.keyType}`;
  const confirm = useConfirm();
  const revoke = useAction();
  const regen = useAction();
  const kind = props.keyType === 'PRODUCTION' ? 'production' : 'sandbox';
  const [revoked, setRevoked] = useState(false);

  const live = (
    <p className="visually-hidden" aria-live="polite" data-testid={`keys-announcement-${kind}`}>
      {announce}
    </p>
  );
  if (!props.current) {
    return (
      <>
        {live}
        {revoked && (
          <p className="alert alert-ok" ref={revokedNote} tabIndex={-1}>
            The {kind} keys were revoked: the consumer key and its tokens no longer work.
          </p>
        )}
        <KeySettingsForm
          title={`Generate ${kind} keys`}
          submitLabel="Generate keys"
          busyLabel="Generating…"
          onSubmit={async (settings) => {
            const k = await api.post<GeneratedKey>(path, settings);
            setSecret(k.consumerSecret);
            setToken(undefined);
            setRevoked(false);
            setAnnounce(
              `New ${kind} keys generated. The consumer key and the consumer secret are shown below; copy the secret now, it is shown only once.`,
            );
            setFocusOn('keys');
            props.onChange();
          }}
        />
        {confirm.dialog}
      </>
    );
  }
  const key = props.current;
  const doRevoke = async () => {
    const yes = await confirm.ask(
      `Revoke the ${kind} keys?`,
      'The consumer key stops working and every token issued with it is revoked at once.',
      'Revoke keys',
    );
    if (!yes) return;
    const ok = await revoke.run(() => api.del(path).then(() => true));
    if (ok) {
      setSecret(undefined);
      setToken(undefined);
      setRevoked(true);
      setAnnounce('');
      setFocusOn('revoked');
      props.onChange();
    }
  };
  const doRegenerateSecret = async () => {
    const yes = await confirm.ask(
      'Regenerate the consumer secret?',
      'The current secret stops working and tokens issued with it are revoked.',
      'Regenerate secret',
    );
    if (!yes) return;
    const r = await regen.run(() => api.post<{ consumerSecret: string }>(`${path}/secret`));
    if (r) {
      setSecret(r.consumerSecret);
      setToken(undefined);
    }
  };
  return (
    <>
      {live}
      <div className="grid-2">
        <div>
          <section className="panel">
            <h2 ref={keysHeading} tabIndex={-1}>
              Consumer key and secret
            </h2>
            <CopyBox label="Consumer key" value={key.consumerKey} testId={`consumer-key-${kind}`} />
            {secret ? (
              <>
                <CopyBox label="Consumer secret" value={secret} testId={`consumer-secret-${kind}`} />
                <p className="warn" role="note">
                  Copy the consumer secret now and keep it safe: it is shown only once.
                </p>
              </>
            ) : (
              <p className="muted">The consumer secret was shown once, when it was generated.</p>
            )}
            <ErrorBox error={regen.error} />
            <div className="actions">
              <button type="button" className="btn" onClick={doRegenerateSecret} disabled={regen.busy}>
                Regenerate secret
              </button>
            </div>
          </section>
          <TokenPanel path={path} kind={kind} token={token} onToken={setToken} validity={validity} />
        </div>
        <div>
          <KeySettingsForm
            title="Key settings"
            submitLabel="Save settings"
            busyLabel="Saving…"
            initial={key}
            validity={validity}
            onValidity={setValidity}
            onSubmit={async (settings) => {
              await api.patch<AppKey>(path, settings);
              props.onChange();
            }}
          />
        </div>
        <div className="span-2">
          <GetTokenPanel appKey={key} />
          <CurlPanel app={props.app} appKey={key} token={token?.accessToken} />
          <section className="panel panel-danger">
            <h2>Revoke keys</h2>
            <p>Revoking deletes the consumer key and revokes all of its tokens.</p>
            <ErrorBox error={revoke.error} />
            <button type="button" className="btn btn-danger" onClick={doRevoke} disabled={revoke.busy}>
              {revoke.busy ? 'Revoking…' : `Revoke ${kind} keys`}
            </button>
          </section>
        </div>
        {confirm.dialog}
      </div>
    </>
  );
}

function KeySettingsForm(props: {
  title: string;
  submitLabel: string;
  busyLabel: string;
  initial?: AppKey;
  /** When given, the validity field is controlled by the parent (shared with the token panel). */
  validity?: string;
  onValidity?: (text: string) => void;
  onSubmit: (settings: KeySettings) => Promise<void>;
}) {
  const { config } = useSession();
  const [domains, setDomains] = useState(props.initial ? props.initial.allowedDomains.join('\n') : '');
  const [grants, setGrants] = useState<string[]>(props.initial?.grantTypes ?? ['client_credentials']);
  const [callbacks, setCallbacks] = useState(props.initial ? props.initial.callbackUrls.join('\n') : '');
  const grantsId = useId();
  const [ownValidity, setOwnValidity] = useState(
    String(props.initial?.validitySeconds ?? config.tokenValidity.defaultSeconds),
  );
  const validity = props.validity ?? ownValidity;
  const setValidity = props.onValidity ?? setOwnValidity;
  const [errors, setErrors] = useState<{
    domains?: string;
    validity?: string;
    grantTypes?: string;
    callbackUrls?: string;
  }>({});
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const d = parseDomains(domains);
    const v = parseValidity(validity, config.tokenValidity);
    const g = parseGrants(grants, callbacks);
    const next = {
      domains: d.problems.join(' ') || undefined,
      validity: v.problem,
      grantTypes: g.grantTypes,
      callbackUrls: g.callbackUrls,
    };
    setErrors(next);
    const accepted = g.ok;
    if (next.domains || next.validity || v.seconds === undefined || !accepted) return;
    const ok = await action.run(() =>
      props
        .onSubmit({
          allowedDomains: d.domains,
          validitySeconds: v.seconds,
          grantTypes: accepted.grantTypes,
          callbackUrls: accepted.callbackUrls,
        })
        .then(() => true),
    );
    if (ok && props.initial) setSaved(true);
  };
  return (
    <section className="panel">
      <h2>{props.title}</h2>
      <form onSubmit={submit} noValidate>
        <Field
          label="Allowed domains"
          hint="One per line, e.g. app.example.com or *.example.com. Leave empty or enter ALL to allow any domain."
          error={errors.domains}
        >
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              rows={3}
              value={domains}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              spellCheck={false}
              placeholder="Any domain"
              onChange={(e) => {
                setDomains(e.target.value);
                setErrors({ ...errors, domains: undefined });
              }}
            />
          )}
        </Field>
        <Field
          label="Token validity (seconds)"
          hint={`Default ${config.tokenValidity.defaultSeconds} (${formatSeconds(config.tokenValidity.defaultSeconds)}); from ${config.tokenValidity.minSeconds} (${formatSeconds(config.tokenValidity.minSeconds)}) to ${config.tokenValidity.maxSeconds} (${formatSeconds(config.tokenValidity.maxSeconds)}).${config.tokenValidity.allowNeverExpires ? ' A negative value means the token never expires.' : ''}`}
          error={errors.validity}
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              inputMode="numeric"
              value={validity}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              onChange={(e) => {
                setValidity(e.target.value);
                setErrors({ ...errors, validity: undefined });
              }}
            />
          )}
        </Field>
        <fieldset className="field" aria-describedby={errors.grantTypes ? `${grantsId}-error` : undefined}>
          <legend>Grant types</legend>
          {GRANTS.map((grant) => (
            <label key={grant.type} className="checkbox">
              <input
                type="checkbox"
                checked={grants.includes(grant.type)}
                onChange={(e) => {
                  setGrants(
                    e.target.checked ? [...grants, grant.type] : grants.filter((x) => x !== grant.type),
                  );
                  setErrors({ ...errors, grantTypes: undefined, callbackUrls: undefined });
                }}
              />{' '}
              {grant.label} <span className="muted">({grant.hint})</span>
            </label>
          ))}
          {errors.grantTypes && (
            <p className="field-error" id={`${grantsId}-error`}>
              {errors.grantTypes}
            </p>
          )}
        </fieldset>
        {(grants.includes('authorization_code') || callbacks.trim() !== '') && (
          <Field
            label="Callback URLs"
            hint="Where the key-manager sends the authorization code: one per line, https (http only for 127.0.0.1, [::1] or localhost)."
            error={errors.callbackUrls}
          >
            {({ id, describedBy, invalid }) => (
              <textarea
                id={id}
                rows={2}
                value={callbacks}
                aria-invalid={invalid}
                aria-describedby={describedBy}
                spellCheck={false}
                placeholder="https://app.example.com/callback"
                onChange={(e) => {
                  setCallbacks(e.target.value);
                  setErrors({ ...errors, callbackUrls: undefined });
                }}
              />
            )}
          </Field>
        )}
        <ErrorBox error={action.error} />
        {saved && <Notice>Settings saved.</Notice>}
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {action.busy ? props.busyLabel : props.submitLabel}
        </button>
      </form>
    </section>
  );
}

function TokenPanel(props: {
  path: string;
  kind: string;
  token: AppToken | undefined;
  onToken: (t: AppToken) => void;
  /** The validity field's text as the settings form shows it (saved or not). */
  validity: string;
}) {
  const { config } = useSession();
  const action = useAction();
  const [problem, setProblem] = useState<string | undefined>();
  const [used, setUsed] = useState<number | undefined>();
  const parsed = parseValidity(props.validity, config.tokenValidity);
  const generate = async () => {
    setProblem(parsed.problem);
    if (parsed.seconds === undefined) return;
    const seconds = parsed.seconds;
    const t = await action.run(() => api.post<AppToken>(`${props.path}/token`, { validitySeconds: seconds }));
    if (t) {
      setUsed(seconds);
      props.onToken(t);
    }
  };
  const validFor = (s: number) => (s < 0 ? 'that never expires' : `valid for ${formatSeconds(s)}`);
  return (
    <section className="panel">
      <h2>Access token</h2>
      <p className="muted">
        An application access token (client credentials)
        {parsed.seconds !== undefined && `, ${validFor(parsed.seconds)} (the token validity in Key settings)`}
        . Generating a new one revokes the previous tokens of these keys.
      </p>
      {props.token && (
        <>
          <CopyBox
            label="Access token"
            value={props.token.accessToken}
            testId={`access-token-${props.kind}`}
          />
          <p className="warn" role="note">
            Copy the access token now: it is shown only once.
            {used !== undefined && ` Issued with a validity of ${used} seconds (${formatSeconds(used)}).`}
            {props.token.expiresIn !== null && ` It expires in ${formatSeconds(props.token.expiresIn)}.`}
          </p>
        </>
      )}
      {problem && (
        <p className="alert alert-error" role="alert">
          {problem} Correct the token validity in Key settings.
        </p>
      )}
      <ErrorBox error={action.error} onRetry={generate} />
      <button type="button" className="btn btn-primary" onClick={generate} disabled={action.busy}>
        {action.busy ? 'Generating…' : props.token ? 'Regenerate access token' : 'Generate access token'}
      </button>
    </section>
  );
}
