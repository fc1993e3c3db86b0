/**
 * The container images: one root Dockerfile (Node 24 slim, production dependencies only,
 * non-root, `node src/main.ts`) built per service with the arguments scripts/build-image.sh
 * passes, and with exactly the command the project runs here, scripts/package-service.sh. No
 * Docker engine runs here, so this test runs that script itself and checks that what it lays
 * out starts to load.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { configSchema as gatewaySchema } from '../../services/gateway/src/config.ts';
import { configSchema as keyManagerSchema } from '../../services/key-manager/src/config.ts';
import { configSchema as storeSchema } from '../../services/store/src/config.ts';
import { ROOT } from './lib/tools.ts';

const run = promisify(execFile);

const SERVICES = [
  // build: the module that composes the service (loaded without starting it).
  { name: 'store', schema: storeSchema, build: './src/store.ts' },
  { name: 'key-manager', schema: keyManagerSchema, build: './src/app.ts' },
  { name: 'gateway', schema: gatewaySchema, build: './src/app.ts' },
] as const;

const libSh = readFileSync(join(ROOT, 'scripts/lib.sh'), 'utf8');
const NODE_MAJOR = /^NODE_VERSION="(\d+)\./m.exec(libSh)?.[1];
const PNPM_VERSION = /^PNPM_VERSION="([^"]+)"/m.exec(libSh)?.[1];

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

function stages(list: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of list) {
    if (i.op === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

const portDefault = (schema: (typeof SERVICES)[number]['schema'], key: string): number | undefined => {
  const field = (schema.shape as Record<string, { parse(v: unknown): unknown }>)[key];
  return field ? (field.parse(undefined) as number) : undefined;
};

/** The build arguments and target scripts/build-image.sh gives each service. */
function imageArgs(service: string): { port: number; adminPort: number; target: string } {
  const script = readFileSync(join(ROOT, 'scripts/build-image.sh'), 'utf8');
  const m = new RegExp(`^\\s*${service}\\) ports=\\((\\d+) (\\d+)\\) target=(\\w+)`, 'm').exec(script);
  assert.ok(m, `scripts/build-image.sh has a line for ${service}`);
  return { port: Number(m[1]), adminPort: Number(m[2]), target: m[3]! };
}

/** The instructions with the build arguments substituted, as docker build would. */
function withArgs(list: Instruction[], args: Record<string, string>): Instruction[] {
  return list.map((i) => ({
    op: i.op,
    args: i.args.replace(/\$\{(\w+)\}/g, (all, k: string) => args[k] ?? all),
  }));
}

describe('the Dockerfile stays in step with the project', () => {
  const dockerfile = instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));

  test('no per-service Dockerfiles: one file with build arguments', () => {
    for (const { name } of SERVICES) assert.ok(!existsSync(join(ROOT, 'services', name, 'Dockerfile')), name);
  });

  for (const { name, schema } of SERVICES) {
    test(`${name}: Node ${NODE_MAJOR} slim, pnpm ${PNPM_VERSION}, built by scripts/package-service.sh, run as non-root`, () => {
      const { port, adminPort, target } = imageArgs(name);
      const list = withArgs(dockerfile, { SERVICE: name, PORT: String(port), ADMIN_PORT: String(adminPort) });
      const named = stages(list);
      // The stages docker build runs for the target: the target, the stages it is FROM, and the
      // stages it copies from.
      const stageName = (st: Instruction[]) => / AS (\S+)$/.exec(st[0]?.args ?? '')?.[1];
      const byName = new Map(named.map((st) => [stageName(st), st]));
      const chain: Instruction[][] = [];
      for (let st = byName.get(target); st; ) {
        chain.unshift(st);
        const from = st[0]?.args.split(' ')[0];
        st = from ? byName.get(from) : undefined;
      }
      const runtimeCopies = chain.flatMap((st) => st.filter((i) => i.op === 'COPY').map((i) => i.args));
      const build = byName.get('build');
      const runtime = chain.flat();
      const all = [
        build!,
        ...[...byName.entries()].filter(([n]) => n === 'portal').map(([, st]) => st),
        runtime,
      ];
      assert.ok(build && chain.length >= 1, 'a build stage and a runtime stage');
      const nodeImage = list.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args;
      assert.equal(nodeImage, `NODE_IMAGE=node:${NODE_MAJOR}-slim`, 'the Node major of scripts/lib.sh');
      assert.ok(
        build.some((i) => i.op === 'ARG' && i.args === `PNPM_VERSION=${PNPM_VERSION}`),
        'pnpm of scripts/lib.sh',
      );
      const runs = build.filter((i) => i.op === 'RUN').map((i) => i.args);
      assert.ok(runs.includes(`bash scripts/package-service.sh ${name} /out`), runs.join('\n'));
      assert.ok(build.some((i) => i.op === 'COPY' && i.args === `services/${name} ./services/${name}`));
      // pnpm install --frozen-lockfile needs the patched dependencies' patch files.
      for (const stage of all.slice(0, -1)) {
        if (stage.some((i) => i.op === 'COPY' && i.args.startsWith('package.json pnpm-lock.yaml')))
          assert.ok(
            stage.some((i) => i.op === 'COPY' && i.args === 'patches ./patches'),
            `${stage[0]?.args}: COPY patches ./patches`,
          );
      }

      const user = runtime.find((i) => i.op === 'USER')?.args ?? '';
      assert.match(user, /^[1-9]\d*:[1-9]\d*$/, 'a numeric non-root user');
      // The store also serves the portal, built by the script make up and make test run.
      const portalCopy = '--from=portal /src/services/portal/dist /app/services/portal/dist';
      assert.deepEqual(
        runtimeCopies,
        name === 'store' ? ['--from=build /out /app', portalCopy] : ['--from=build /out /app'],
        'only the packaged output (and the built portal) reaches the runtime image',
      );
      if (name === 'store') {
        const portal = byName.get('portal');
        assert.ok(
          portal?.some((i) => i.op === 'RUN' && i.args.endsWith('bash scripts/build-portal.sh --force')),
          'the portal stage builds with scripts/build-portal.sh',
        );
      }
      assert.equal(runtime.find((i) => i.op === 'WORKDIR')?.args, `/app/services/${name}`);
      assert.equal(runtime.find((i) => i.op === 'ENTRYPOINT')?.args, '["node", "src/main.ts"]');
      assert.ok(!runtime.some((i) => i.op === 'RUN'), 'nothing runs (or writes) in the runtime stage');
      const exposed = runtime
        .find((i) => i.op === 'EXPOSE')
        ?.args.split(' ')
        .map(Number);
      const ports = ['PORT', 'ADMIN_PORT'].map((k) => portDefault(schema, k)).filter((p) => p !== undefined);
      assert.deepEqual(exposed, ports, 'EXPOSE lists the default PORT (and ADMIN_PORT)');
    });
  }

  test('.dockerignore keeps installed modules, tools and local state out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '.git', '.tools', '.portico', '**/test']) {
      assert.ok(ignored.includes(entry), entry);
    }
  });
});

describe('scripts/package-service.sh (the images build step) lays out a runnable service', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const { name, schema, build } of SERVICES) {
    test(`${name}: production dependencies only, workspace libraries outside node_modules, sources load`, async () => {
      const dest = mkdtempSync(join(tmpdir(), `portico-package-${name}-`));
      dirs.push(dest);
      await run('bash', [join(ROOT, 'scripts/package-service.sh'), name, dest], { cwd: ROOT });
      const app = join(dest, 'services', name);
      assert.ok(!existsSync(join(app, 'test')), 'tests stay behind');
      assert.ok(!existsSync(join(app, 'node_modules/@portico/testing')), 'no devDependencies');
      assert.ok(!existsSync(join(app, 'node_modules/@types')), 'no devDependencies');
      // Node strips types only outside node_modules: the libraries must resolve to libs/.
      const core = realpathSync(join(app, 'node_modules/@portico/core'));
      assert.equal(core, join(realpathSync(dest), 'libs/core'));
      // Load the service's modules (not main.ts, which would start it) with the production tree only.
      const probe = `const m = await import('./src/config.ts'); await import('${build}');
        console.log(Object.keys(m.configSchema.shape).length);`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: app,
        env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production' },
      });
      assert.equal(Number(stdout.trim()), Object.keys(schema.shape).length);
    });
  }
});
