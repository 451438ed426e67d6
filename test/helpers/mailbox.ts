import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  /** The text/plain part, decoded. */
  text: string;
  /** The message as it came over SMTP. */
  raw: string;
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= and =?UTF-8?Q?…?=), as mailers write non-ASCII subjects. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, kind: string, data: string) =>
      kind.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replaceAll('_', ' ')),
    );
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Just enough MIME for the mails under test: the subject and the text/plain part. */
function parseMail(raw: string, to: string[]): ReceivedMail {
  const split = (s: string) => {
    const at = s.search(/\r?\n\r?\n/);
    return { headers: parseHeaders(s.slice(0, at)), body: s.slice(at).replace(/^\r?\n\r?\n/, '') };
  };
  const message = split(raw);
  let part = message;
  const boundary = /boundary="?([^";]+)"?/i.exec(message.headers.get('content-type') ?? '')?.[1];
  if (boundary) {
    const parts = message.body.split(`--${boundary}`).slice(1, -1).map(split);
    part = parts.find((p) => /^text\/plain/i.test(p.headers.get('content-type') ?? '')) ?? parts[0]!;
  }
  const encoding = part.headers.get('content-transfer-encoding')?.toLowerCase();
  const text =
    encoding === 'base64'
      ? Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(part.body)
        : part.body;
  return {
    to,
    subject: decodeWords(message.headers.get('subject') ?? ''),
    text: text.replaceAll('\r\n', '\n').trim(),
    raw,
  };
}

/**
 * A real SMTP server on a random local port that keeps what it receives. It can be told to refuse
 * recipients (`refuse`), as a full or broken mailbox does: 550 to RCPT TO, and every try is kept
 * in `tries` with its time.
 */
export async function startMailbox() {
  const received: ReceivedMail[] = [];
  const tries: Array<{ to: string; at: number }> = [];
  let refused: (to: string) => boolean = () => false;
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on localhost: no certificate for the client to check.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase();
      tries.push({ to, at: Date.now() });
      if (!refused(to)) return callback();
      callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        received.push(parseMail(Buffer.concat(chunks).toString('utf8'), to));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const mailsTo = (address: string) => received.filter((m) => m.to.includes(address.toLowerCase()));

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    tries,
    mailsTo,
    /** Refuse mail for every address, for these addresses only, or (null) for none. */
    refuse(which: 'all' | string[] | null) {
      const listed = new Set(Array.isArray(which) ? which.map((a) => a.toLowerCase()) : []);
      refused = which === 'all' ? () => true : (to) => listed.has(to);
    },
    /** Waits (bounded) until `address` has received `count` mails; those mails. */
    async waitFor(address: string, count = 1, timeoutMs = 10_000): Promise<ReceivedMail[]> {
      const started = Date.now();
      while (mailsTo(address).length < count) {
        if (Date.now() - started > timeoutMs) {
          throw new Error(`${address}: ${mailsTo(address).length} of ${count} mails after ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return mailsTo(address);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Mailbox = Awaited<ReturnType<typeof startMailbox>>;
