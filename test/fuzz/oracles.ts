import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import type { FuzzRequest, Json, Operation } from './arbitraries.ts';
import type { Fixture } from './fixture.ts';

/**
 * What must hold for any request, whoever sends it and whatever state the fixture is in by then:
 *  - no 5xx (a 500 is a bug; nothing here takes a dependency down, so no 503 either);
 *  - the status is one the operation documents;
 *  - every 4xx is application/problem+json with type, title, status (the same), code (one the
 *    document lists for that status) and requestId;
 *  - every 2xx JSON body validates against its documented response schema (ajv, 2020-12);
 *  - nobody but an admin sees another user's ids or PHI: the other side's patient id and email,
 *    appointment and payment ids, reason, notes and diagnosis; anonymous and suspended callers see
 *    no one's (a value counts only if the request didn't carry it: echoing your own input is fine).
 */
export interface Oracles {
  check(operation: Operation, request: FuzzRequest, response: LightMyRequestResponse): string[];
}

export function oraclesFor(doc: Json, f: Fixture): Oracles {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  addFormats.default(ajv);
  for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) {
    ajv.addSchema(schema, `#/components/schemas/${name}`);
  }
  const compiled = new Map<string, ValidateFunction>();
  const validatorOf = (key: string, schema: Json) => {
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(key, validate);
    }
    return validate;
  };

  const secretsOf = (side: Fixture['own']) => [
    side.patient.id,
    side.patient.email,
    side.inProgress,
    side.confirmed,
    side.cancelled,
    side.confirmedPaymentId,
    ...Object.values(side.phi),
  ];
  const othersSecrets = secretsOf(f.other);
  const everyonesSecrets = [...secretsOf(f.own), ...othersSecrets];

  return {
    check(operation, request, response) {
      const failures: string[] = [];
      const status = response.statusCode;
      const type = String(response.headers['content-type'] ?? '');
      if (status >= 500) return [`${status}: ${response.body.slice(0, 300)}`];
      const documented = operation.op.responses[String(status)] as Json | undefined;
      if (!documented) failures.push(`status ${status} is not documented`);
      if (status >= 400) {
        let problem: Json | undefined;
        try {
          problem = JSON.parse(response.body);
        } catch {
          failures.push(`${status} body is not JSON: ${response.body.slice(0, 120)}`);
        }
        if (!type.startsWith('application/problem+json')) failures.push(`${status} content-type ${type}`);
        for (const field of ['type', 'title', 'status', 'code', 'requestId'])
          if (problem && !(field in problem)) failures.push(`${status} problem lacks ${field}`);
        if (problem && problem.status !== status)
          failures.push(`problem.status ${problem.status} ≠ ${status}`);
        const codes = documented?.content?.['application/problem+json']?.['x-codes'] as string[] | undefined;
        if (problem && codes && !codes.includes(problem.code))
          failures.push(`${status} ${problem.code} is not a documented code`);
      } else if (status >= 200 && status < 300 && documented?.content) {
        const media = Object.keys(documented.content).find((m) => type.startsWith(m));
        if (!media) failures.push(`${status} content-type ${type} is not documented`);
        else if (media.endsWith('json')) {
          const validate = validatorOf(
            `${operation.id} ${status} ${media}`,
            documented.content[media].schema,
          );
          if (!validate(JSON.parse(response.body)))
            failures.push(`${status} body: ${ajv.errorsText(validate.errors)}`);
        }
      }
      if (request.actor !== 'admin') {
        const secrets =
          request.actor === 'anonymous' || request.actor === 'suspended' ? everyonesSecrets : othersSecrets;
        const sent = `${request.url} ${request.payload ?? ''} ${JSON.stringify(request.headers)}`;
        for (const secret of secrets)
          if (response.body.includes(secret) && !sent.includes(secret))
            failures.push(`leaks ${secret} to ${request.actor}`);
      }
      return failures;
    },
  };
}
