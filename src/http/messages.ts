import { z } from 'zod';

/**
 * What a person reads when input is wrong: each message says the rule, and the error's `path`
 * names the field (see errors.ts). One home for every schema's default wording; a schema that says
 * more (a pattern's example, say) sets its own.
 */
export const INSTANT_RULE = 'must be an ISO 8601 instant with Z or an offset, e.g. 2026-03-02T09:30:00+05:30';
export const DATE_RULE = 'must be a date as YYYY-MM-DD, e.g. 2026-03-02';

const FORMATS: Record<string, string> = {
  datetime: INSTANT_RULE,
  date: DATE_RULE,
  uuid: 'must be a UUID, e.g. 0b5f8c1e-3c1a-4e1b-9a57-2f0f6d1c9e10',
  email: 'must be an e-mail address',
  url: 'must be a URL',
};

const KINDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

type Issue = z.core.$ZodRawIssue;

function sized(
  issue: Issue & { origin?: string; minimum?: unknown; maximum?: unknown; inclusive?: boolean },
) {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const word = small ? 'at least' : 'at most';
  switch (issue.origin) {
    case 'string':
      if (small && bound === 1) return 'must not be empty';
      return `must be ${word} ${bound} character${bound === 1 ? '' : 's'} long`;
    case 'array':
    case 'set':
      return `must have ${word} ${bound} item${bound === 1 ? '' : 's'}`;
    default:
      if (issue.inclusive === false) return `must be ${small ? 'more' : 'less'} than ${bound}`;
      return `must be ${word} ${bound}`;
  }
}

export function messageFor(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      if (issue.input === null) return 'must not be null';
      return `must be ${KINDS[issue.expected] ?? issue.expected}`;
    }
    case 'too_small':
    case 'too_big':
      return sized(issue);
    case 'invalid_format':
      return FORMATS[issue.format] ?? `must be a valid ${issue.format}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return 'is not a field of this request';
    case 'invalid_union':
      return 'does not match any accepted shape';
    default:
      return undefined;
  }
}

/** Installs the wording for every zod schema in this process (idempotent). */
export function useReadableMessages(): void {
  z.config({ customError: messageFor });
}
