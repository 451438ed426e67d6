import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Outgoing e-mail. `send` resolves once the message was handed over (and throws if it wasn't). */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** A mail server that doesn't answer fails the send (its job is retried) instead of holding it for minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * With an SMTP URL (smtp:// upgrades with STARTTLS when offered, smtps:// is TLS from the start),
 * mail goes to that server. Without one (development and tests; production requires SMTP_URL),
 * each message is written as an .eml file under `<dataDir>/outbox-mail/` and one line names the file:
 * never the body or the recipient, which carry a token and PII.
 */
export function createMailer(
  settings: { smtpUrl: string | undefined; from: string; dataDir: string },
  log: Logger,
): Mailer {
  if (settings.smtpUrl) {
    const smtp = nodemailer.createTransport({ url: settings.smtpUrl, ...SMTP_TIMEOUTS });
    return {
      async send(message) {
        await smtp.sendMail({ from: settings.from, ...message });
      },
    };
  }
  const folder = path.join(settings.dataDir, 'outbox-mail');
  const render = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async send(message) {
      const { message: eml } = await render.sendMail({ from: settings.from, ...message });
      await mkdir(folder, { recursive: true });
      const file = path.join(folder, `${Date.now()}-${randomBytes(4).toString('hex')}.eml`);
      await writeFile(file, eml as Buffer, { mode: 0o600 });
      log.info({ file }, 'mail written to a file (no SMTP_URL)');
    },
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain-text mail as simple HTML: paragraphs and line breaks kept, `link` clickable. */
export function htmlOfText(text: string, link?: string): string {
  const html = `<p>${escapeHtml(text).replaceAll('\n\n', '</p><p>').replaceAll('\n', '<br>')}</p>`;
  if (!link) return html;
  const shown = escapeHtml(link);
  return html.replaceAll(shown, `<a href="${shown}">${shown}</a>`);
}
