/** Creates the demo/bootstrap users named by BOOTSTRAP_USERS. */
import type { Logger } from '@portico/core';
import { parseUserName } from './domains.ts';
import type { UserStore } from './userStore.ts';
import { ROLES } from './userStore.ts';

/**
 * BOOTSTRAP_USERS=`PRIMARY/admin:changeit:admin|developer;PRIMARY/alice:secret123:developer`
 * creates the users that do not exist yet (demo data for `make up`); existing users are kept.
 */
export async function bootstrapUsers(
  spec: string,
  users: UserStore,
  domains: ReadonlySet<string>,
  logger: Logger,
): Promise<void> {
  for (const entry of spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [rawName = '', password = '', rawRoles = 'developer'] = entry.split(':');
    const name = parseUserName(rawName, domains);
    const roles = rawRoles.split('|').filter((r) => (ROLES as readonly string[]).includes(r));
    if (!name || password.length < 8)
      throw new Error(`BOOTSTRAP_USERS: bad entry for ${JSON.stringify(rawName)}`);
    if (await users.get(name.canonical)) continue;
    try {
      await users.create(name, { password, enabled: true, roles });
      logger.info({ user: name.canonical, roles }, 'bootstrap user created');
    } catch (err) {
      if ((err as { code?: unknown }).code !== 11000) throw err;
    }
  }
}
