import { context, trace } from '@opentelemetry/api';
import type { DatabaseConnection, Dialect } from 'kysely';
import { SpanKind, type Tracing } from '../tracing.ts';

const MAX_STATEMENT_CHARS = 2_000;
const PREPARED = /^\s*\/\*prepared:([a-z_]+)\*\//;
const FIRST_WORD = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/;

/**
 * A Kysely dialect whose statements are CLIENT spans (tracing on only). Spans are made only inside
 * a trace (a request, a job): the periodic background statements would otherwise each start a
 * trace of their own, several a second, telling nobody anything.
 *
 * The span carries the statement's text as Kysely compiled it: parameters are placeholders ($1…),
 * so no value (and no PHI) reaches it. Named after the prepared statement when it has one.
 */
export function tracedDialect(dialect: Dialect, tracing: Tracing): Dialect {
  const traced = new WeakSet<DatabaseConnection>();
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver() {
      const driver = dialect.createDriver();
      const acquire = driver.acquireConnection.bind(driver);
      // Patched in place, once per connection: drivers keep private state on their own connection
      // objects (release, transactions), so a wrapper object would break them.
      driver.acquireConnection = async () => {
        const connection = await acquire();
        if (!traced.has(connection)) {
          traced.add(connection);
          const execute = connection.executeQuery.bind(connection);
          connection.executeQuery = (query) => {
            if (!trace.getSpan(context.active())) return execute(query);
            const operation = PREPARED.exec(query.sql)?.[1] ?? FIRST_WORD.exec(query.sql)?.[1]?.toUpperCase();
            return tracing.inSpan(
              operation ?? 'postgresql',
              {
                kind: SpanKind.CLIENT,
                attributes: {
                  'db.system.name': 'postgresql',
                  'db.operation.name': operation ?? '',
                  'db.query.text': query.sql.slice(0, MAX_STATEMENT_CHARS),
                },
              },
              () => execute(query),
            );
          };
        }
        return connection;
      };
      return driver;
    },
  };
}
