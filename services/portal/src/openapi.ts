/** Reads an OpenAPI (2 or 3) document into a flat list of operations, for display only. */
export interface Operation {
  method: string;
  path: string;
  summary: string;
  parameters: { name: string; in: string; required: boolean; example?: string }[];
  /** OpenAPI 3 requestBody (or a Swagger 2 `in: body` parameter): a JSON example to start from. */
  body?: { required: boolean; example: string };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function params(list: unknown): Operation['parameters'] {
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).flatMap((p) => {
    if (typeof p['name'] !== 'string') return [];
    const schema = isRecord(p['schema']) ? p['schema'] : {};
    const example = p['example'] ?? schema['example'];
    return [
      {
        name: p['name'],
        in: String(p['in'] ?? ''),
        required: p['required'] === true,
        ...(typeof example === 'string' || typeof example === 'number' ? { example: String(example) } : {}),
      },
    ];
  });
}

function bodyOf(op: Record<string, unknown>): Operation['body'] {
  const rb = op['requestBody'];
  if (isRecord(rb)) {
    const content = isRecord(rb['content']) ? rb['content'] : {};
    const json = Object.entries(content).find(([type]) => /json/i.test(type))?.[1];
    const example = isRecord(json)
      ? (json['example'] ?? (isRecord(json['schema']) ? json['schema']['example'] : undefined))
      : undefined;
    return {
      required: rb['required'] === true,
      example: example === undefined ? '' : JSON.stringify(example, null, 2),
    };
  }
  const v2 = Array.isArray(op['parameters'])
    ? op['parameters'].filter(isRecord).find((p) => p['in'] === 'body')
    : undefined;
  return v2 ? { required: v2['required'] === true, example: '' } : undefined;
}

export function operationsOf(doc: Record<string, unknown>): Operation[] {
  const paths = doc['paths'];
  if (!isRecord(paths)) return [];
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    const shared = params(item['parameters']);
    for (const method of METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const own = params(op['parameters']);
      const names = new Set(own.map((p) => `${p.in}:${p.name}`));
      const body = bodyOf(op);
      out.push({
        method,
        path,
        summary: String(op['summary'] ?? op['description'] ?? '').slice(0, 300),
        parameters: [...own, ...shared.filter((p) => !names.has(`${p.in}:${p.name}`))].filter(
          (p) => p.in !== 'body',
        ),
        ...(body ? { body } : {}),
      });
    }
  }
  return out;
}

/**
 * A path to show in a curl example: the first GET without path parameters, with its required
 * query parameters filled with their example (or "value"); '' when there is none.
 */
export function samplePath(doc: Record<string, unknown> | null): string {
  if (!doc) return '';
  const op = operationsOf(doc).find((o) => o.method === 'get' && !o.path.includes('{'));
  if (!op) return '';
  const query = op.parameters
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(p.example ?? 'value')}`);
  return query.length > 0 ? `${op.path}?${query.join('&')}` : op.path;
}
