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

interface LoginAlertValues {
  name: string;
  /** Where to choose a new password (the forgot-password page). */
  link: string;
}

const loginAlertText: Record<Locale, { subject: string; body: (v: LoginAlertValues) => string }> = {
  en: {
    subject: 'Many failed sign-ins to your Amrutam account',
    body: (v) =>
      [
        `Hello ${v.name},`,
        '',
        'Someone tried many wrong passwords for your Amrutam account in the last few minutes.',
        'Your account is not locked: you can still sign in as usual, and we slow the guessing down.',
        '',
        'If this was not you, choose a new password that you use nowhere else, and turn on',
        'two-step sign-in (MFA) in your account settings:',
        '',
        v.link,
      ].join('\n'),
  },
  hi: {
    subject: 'आपके Amrutam खाते में कई बार गलत साइन-इन',
    body: (v) =>
      [
        `नमस्ते ${v.name},`,
        '',
        'पिछले कुछ मिनटों में किसी ने आपके Amrutam खाते के लिए कई गलत पासवर्ड आज़माए।',
        'आपका खाता बंद नहीं है: आप हमेशा की तरह साइन इन कर सकते हैं, और हम अनुमान लगाने की गति धीमी कर देते हैं।',
        '',
        'अगर यह आप नहीं थे, तो एक नया पासवर्ड चुनें जो आप कहीं और इस्तेमाल नहीं करते, और खाते की सेटिंग में',
        'दो-चरणीय साइन-इन (MFA) चालू करें:',
        '',
        v.link,
      ].join('\n'),
  },
};

/** Told to an account's owner when its failed sign-ins pass the cap (throttle.ts), at most once a window. */
export function loginAlertMail(locale: Locale, values: LoginAlertValues) {
  const template = loginAlertText[locale];
  const text = template.body(values);
  return { subject: template.subject, text, html: htmlOfText(text, values.link) };
}
