import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../src/platform/metrics.ts';

type Json = Record<string, unknown>;

/**
 * Routes that are not part of the API's document: its own pages, Prometheus's, the web app's
 * (src/http/web-app.ts: its files, and its page for every other path), and CORS preflights
 * (@fastify/cors answers OPTIONS on every path).
 */
const UNDOCUMENTED = [/^\/api-docs(\/|$)/, /^\/metrics$/, /^unmatched$/, /^\/\*$/, /^\/assets\//, /^\*$/];

/**
 * Every answer an app gave (its metrics count each by method, route, status, and problem code)
 * that its OpenAPI document does not declare: a route missing from the document, a status the
 * route doesn't list, a problem code its status doesn't list. Run on every test app as it closes,
 * so the whole suite holds the document to what the API really answers.
 */
export async function undocumentedAnswers(app: FastifyInstance, metrics: Metrics): Promise<string[]> {
  const paths = (app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Json }>> })
    .paths;
  const problems: string[] = [];
  const responseOf = (method: string, route: string, status: string) => {
    const operation = paths[route.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
    if (!operation) return { missing: `${method} ${route}: not in the document` };
    const response = operation.responses[status] as { content?: Record<string, Json> } | undefined;
    if (!response) return { missing: `${method} ${route} → ${status}: status not documented` };
    return { response };
  };
  // A 500 is a bug, documented nowhere; the tests that expect one inject a fault on purpose.
  const skip = (route: string, method: string, status: string) =>
    method === 'HEAD' || status === '500' || UNDOCUMENTED.some((pattern) => pattern.test(route));

  for (const { labels } of (await metrics.httpDuration.get()).values) {
    const { method, route, status } = labels as { method: string; route: string; status: string };
    if (skip(route, method, status)) continue;
    const found = responseOf(method, route, status);
    if (found.missing) problems.push(found.missing);
  }
  for (const { labels } of (await metrics.httpProblems.get()).values) {
    const { method, route, status, code } = labels as {
      method: string;
      route: string;
      status: string;
      code: string;
    };
    if (skip(route, method, status)) continue;
    const { response } = responseOf(method, route, status);
    const codes = response?.content?.['application/problem+json']?.['x-codes'] as string[] | undefined;
    if (response && !codes?.includes(code))
      problems.push(`${method} ${route} → ${status} ${code}: code not documented`);
  }
  return [...new Set(problems)].sort();
}
