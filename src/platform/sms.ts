import type { Logger } from 'pino';

export interface SmsMessage {
  /** E.164, e.g. +919812345678. */
  to: string;
  text: string;
}

/** Outgoing SMS. `send` resolves once the provider accepted the message (and throws if it didn't). */
export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

export type SmsProvider = 'log';

/** What a log line may say of a phone number: its last four digits. */
export const maskedPhone = (phone: string) => `…${phone.slice(-4)}`;

/**
 * The provider chosen by SMS_PROVIDER. `log` (the default, for development and until a gateway is
 * contracted) writes one line per message with the number's last four digits and the length:
 * never the number or the text, which say who consults whom and when.
 */
export function createSmsSender(provider: SmsProvider, log: Logger): SmsSender {
  switch (provider) {
    case 'log':
      return {
        async send(message) {
          log.info({ to: maskedPhone(message.to), chars: message.text.length }, 'sms (log provider)');
        },
      };
  }
}
