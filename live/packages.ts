// The Debian packages the reference deployment runs: ZooKeeper (with a Java runtime) and Redis.
// A missing one is a clear error naming the package to install (exit 2), checked before anything starts.
import { existsSync } from 'node:fs';
import { LiveError } from './errors.ts';

export const ZOOKEEPER_CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';
export const JAVA = '/usr/bin/java';
export const REDIS_SERVER = '/usr/bin/redis-server';

export function requirePackages(): void {
  const missing: string[] = [];
  if (!existsSync(REDIS_SERVER)) missing.push(`redis-server (${REDIS_SERVER} not found)`);
  if (!existsSync('/usr/share/java/zookeeper.jar')) missing.push('zookeeper (/usr/share/java/zookeeper.jar not found)');
  else if (!existsSync(JAVA)) missing.push(`a Java runtime for zookeeper (${JAVA} not found; Debian's zookeeper package depends on one)`);
  if (missing.length > 0) {
    throw new LiveError(
      `the reference deployment needs Debian packages that are not installed: ${missing.join('; ')}\n` +
        `  install them with: apt-get install -y redis-server zookeeper`,
    );
  }
}
