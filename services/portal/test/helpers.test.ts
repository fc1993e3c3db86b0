/** The portal's pure helpers: the same input rules as the store, the curl example, OpenAPI reading. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterSeconds } from '../src/api.ts';
import { formatSeconds } from '../src/format.ts';
import { curlExample, domainHeaderValue, parseDomains, parseValidity, sampleDomain } from '../src/keys.ts';
import { operationsOf, samplePath } from '../src/openapi.ts';

const bounds = { defaultSeconds: 3600, minSeconds: 60, maxSeconds: 86_400, allowNeverExpires: true };

test('allowed domains: host names and leading wildcards pass; schemes, paths, inner wildcards and ALL-with-others do not', () => {
  assert.deepEqual(parseDomains(''), { domains: [], problems: [] });
  assert.deepEqual(parseDomains(' all '), { domains: ['ALL'], problems: [] });
  assert.deepEqual(parseDomains('app.example.com, *.example.com\n10.0.0.1'), {
    domains: ['app.example.com', '*.example.com', '10.0.0.1'],
    problems: [],
  });
  assert.match(parseDomains('ALL app.example.com').problems[0]!, /cannot be combined/);
  assert.match(parseDomains('https://a.example.com').problems[0]!, /no scheme, port or path/);
  assert.match(parseDomains('a.example.com:8443').problems[0]!, /no scheme, port or path/);
  assert.match(parseDomains('a.*.example.com').problems[0]!, /first label/);
  assert.match(parseDomains('*.com').problems[0]!, /at least two labels/);
  assert.match(parseDomains('-bad-.example.com').problems[0]!, /not a valid host name/);
  assert.match(parseDomains('<script>').problems[0]!, /not a valid host name|no scheme/);
  assert.equal(
    parseDomains(Array.from({ length: 101 }, (_, i) => `h${i}.example.com`).join(' ')).problems.length,
    1,
  );
});

test('token validity: within the bounds, or negative when allowed; anything else names the rule', () => {
  assert.deepEqual(parseValidity('3600', bounds), { seconds: 3600 });
  assert.deepEqual(parseValidity(' 60 ', bounds), { seconds: 60 });
  assert.deepEqual(parseValidity('-1', bounds), { seconds: -1 });
  assert.match(
    parseValidity('59', bounds).problem!,
    /between 60 and 86400 seconds \(1 minute to 1 day\), or negative/,
  );
  assert.match(parseValidity('86401', bounds).problem!, /between 60 and 86400/);
  assert.match(parseValidity('0', bounds).problem!, /between 60/);
  assert.match(parseValidity('1h', bounds).problem!, /whole number of seconds/);
  assert.match(parseValidity('', bounds).problem!, /whole number of seconds/);
  assert.match(
    parseValidity('-5', { ...bounds, allowNeverExpires: false }).problem!,
    /never expire are not allowed/,
  );
});

test('curl example: gateway URL + context + path, the bearer token, and the domain header the gateway reads', () => {
  const curl = curlExample({
    gatewayUrl: 'http://gw.example.com',
    context: '/twitter/1.0.0',
    path: '/search.atom?q=cat',
    token: 'abc.DEF-123_~+/=',
    domainHeader: 'Origin',
    allowedDomains: ['*.example.com'],
  });
  assert.equal(
    curl,
    [
      'curl -i \\',
      '  -H "Authorization: Bearer abc.DEF-123_~+/=" \\',
      "  -H 'Origin: https://app.example.com' \\",
      "  'http://gw.example.com/twitter/1.0.0/search.atom?q=cat'",
    ].join('\n'),
  );
  // A token that is not a plain token (never from the key-manager) is not pasted into a shell.
  assert.match(
    curlExample({
      gatewayUrl: 'http://g',
      context: '/a',
      path: '',
      token: '$(rm -rf /)',
      domainHeader: 'domain',
      allowedDomains: [],
    }),
    /Bearer \$TOKEN"/,
  );
  // Single quotes in a URL are escaped for the shell.
  assert.match(
    curlExample({
      gatewayUrl: 'http://g',
      context: "/it's",
      path: '',
      token: undefined,
      domainHeader: 'domain',
      allowedDomains: [],
    }),
    /'http:\/\/g\/it'\\''s\/'/,
  );
  assert.equal(domainHeaderValue('domain', 'app.example.com'), 'app.example.com');
  assert.equal(domainHeaderValue('Referer', 'app.example.com'), 'https://app.example.com/');
  assert.equal(sampleDomain([]), 'app.example.com');
  assert.equal(sampleDomain(['ALL']), 'app.example.com');
  assert.equal(sampleDomain(['shop.example.org']), 'shop.example.org');
});

test('OpenAPI documents become a list of operations; odd documents give an empty list, not an error', () => {
  const doc = {
    paths: {
      '/pets/{id}': { parameters: [{ name: 'id', in: 'path', required: true }], get: { summary: 'One pet' } },
      '/pets': {
        get: {
          description: 'List pets',
          parameters: [{ name: 'limit', in: 'query', required: true, example: 10 }],
        },
        post: { summary: 'Add a pet' },
        'x-extension': { summary: 'not an operation' },
      },
    },
  };
  assert.deepEqual(
    operationsOf(doc).map(
      (o) => `${o.method} ${o.path} ${o.summary} ${o.parameters.map((p) => p.name).join(',')}`,
    ),
    ['get /pets/{id} One pet id', 'get /pets List pets limit', 'post /pets Add a pet '],
  );
  assert.equal(samplePath(doc), '/pets?limit=10');
  assert.equal(samplePath(null), '');
  assert.deepEqual(operationsOf({ paths: 'nope' }), []);
  assert.deepEqual(operationsOf({ paths: { '/x': null, '/y': { get: 'no' } } }), []);
});

test('durations in words: years, days, hours, minutes, seconds; negative never expires', () => {
  assert.equal(formatSeconds(31_536_000), '1 year');
  assert.equal(formatSeconds(315_360_000), '10 years');
  assert.equal(formatSeconds(86_400), '1 day');
  assert.equal(formatSeconds(7200), '2 hours');
  assert.equal(formatSeconds(60), '1 minute');
  assert.equal(formatSeconds(90), '90 seconds');
  assert.equal(formatSeconds(-1), 'never expires');
});

test('Retry-After: seconds or an HTTP date, nothing when absent or unreadable', () => {
  assert.equal(retryAfterSeconds('5'), 5);
  assert.equal(retryAfterSeconds(null), undefined);
  assert.equal(retryAfterSeconds('soon'), undefined);
  const inTen = new Date(Date.now() + 10_000).toUTCString();
  const s = retryAfterSeconds(inTen)!;
  assert.ok(s >= 8 && s <= 11, String(s));
});
