import type { Locale } from '../../platform/db/schema.ts';
import { htmlOfText } from '../../platform/mail.ts';

/** The mails the auth module sends, in each language a user can choose (users.locale). */

interface ResetMailValues {
  name: string;
  link: string;
  token: string;
  minutes: number;
}

const resetText: Record<Locale, { subject: string; body: (v: ResetMailValues) => string }> = {
  en: {
    subject: 'Reset your Amrutam password',
    body: (v) =>
      [
        `Hello ${v.name},`,
        '',
        'We received a request to reset the password of your Amrutam account.',
        `Open this link to choose a new password (it works once, for ${v.minutes} minutes):`,
        '',
        v.link,
        '',
        'Or enter this code in the app:',
        v.token,
        '',
        'If you did not ask for this, ignore this mail: your password stays as it is.',
      ].join('\n'),
  },
  hi: {
    subject: 'अपना Amrutam पासवर्ड रीसेट करें',
    body: (v) =>
      [
        `नमस्ते ${v.name},`,
        '',
        'आपके Amrutam खाते का पासवर्ड रीसेट करने का अनुरोध मिला है।',
        `नया पासवर्ड चुनने के लिए यह लिंक खोलें (यह एक बार, ${v.minutes} मिनट तक काम करेगा):`,
        '',
        v.link,
        '',
        'या ऐप में यह कोड डालें:',
        v.token,
        '',
        'अगर आपने यह अनुरोध नहीं किया, तो इस मेल को अनदेखा करें: आपका पासवर्ड नहीं बदलेगा।',
      ].join('\n'),
  },
};

/** The password-reset mail in the user's language: plain text, and the same as HTML with the link clickable. */
export function passwordResetMail(locale: Locale, values: ResetMailValues) {
  const template = resetText[locale];
  const text = template.body(values);
  return { subject: template.subject, text, html: htmlOfText(text, values.link) };
}
