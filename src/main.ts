// Composition root: config → database → clients → listeners → schedules → server. Nothing else wires
// dependencies together; everything below receives what it needs as arguments.
import { type Config, databaseProvider } from './config.ts';
import { type Db, openDatabase, sqlitePath } from './db/client.ts';
import { acquireSqliteInstanceLock } from './db/instance-lock.ts';
import { healthRoute, type Route, startRouteServer } from './http/routes.ts';
import type { Logger } from './logger.ts';

export type RunningHeed = {
  port: number;
  db: Db;
  /** Stops accepting requests, lets running work finish, closes the database. Safe to call twice. */
  stop(): Promise<void>;
};

export async function startHeed(deps: { config: Config; logger: Logger; port?: number }): Promise<RunningHeed> {
  const { config, logger } = deps;
  for (const notice of config.notices) logger.warn(notice);
  const url = config.env.DATABASE_URL;
  const instanceLock = databaseProvider(url) === 'sqlite' ? acquireSqliteInstanceLock(sqlitePath(url)) : undefined;
  const db = await openDatabase(url, { migrate: true }).catch((error: unknown) => {
    instanceLock?.release();
    throw error;
  });
  const routes: Route[] = [healthRoute({ db, logger })];
  const { server, port } = await startRouteServer(routes, deps.port ?? config.env.PORT, logger);
  logger.info({ port, database: db.provider }, 'Heed is listening');
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('Heed is stopping');
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await db.close();
      instanceLock?.release();
      logger.info('Heed stopped');
    })();
    return stopping;
  };
  return { port, db, stop };
}
