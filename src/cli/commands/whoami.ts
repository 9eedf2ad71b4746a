import { CliError, type ClientOptions, getJson } from '../http.js';

interface Session {
  accessControl: boolean;
  user: { name: string; role: string; permissions: string[]; filter?: string } | null;
}

/**
 * `sawmill whoami`: what the server makes of the key this CLI sends (`--token` / SAWMILL_TOKEN):
 * its name, role, permissions and filter. Exit 1 when the server has access control and the key
 * is missing or not valid, so scripts can check a key before using it.
 */
export async function whoami(client: ClientOptions): Promise<void> {
  const s = await getJson<Session>(client, 'api/v1/session');
  if (!s.accessControl) {
    process.stdout.write(`${client.url}: access control is off; every request is allowed\n`);
    return;
  }
  if (!s.user) {
    throw new CliError(
      client.token
        ? `${client.url}: the key is not valid (unknown, or changed in the access file)`
        : `${client.url} has access control: pass a key with --token or SAWMILL_TOKEN`,
    );
  }
  const { name, role, permissions, filter } = s.user;
  process.stdout.write(
    `${name} (role ${role}) at ${client.url}\npermissions: ${permissions.join(', ')}\n` +
      (filter ? `sees only: ${filter}\n` : ''),
  );
}
