import type { Language, MessageValues } from './types.ts';

/** English. Every SMS starts with the product's name, so an unknown sender is recognised. */

const cancelledBy = (v: MessageValues) => {
  if (v.cancelledBy === 'admin') return 'by the clinic';
  if (v.cancelledBy === v.role) return 'at your request';
  return v.cancelledBy === 'doctor' ? 'by the doctor' : 'by the patient';
};

const inHours = (hours: number) => (hours === 1 ? 'in 1 hour' : `in ${hours} hours`);

const joinLine = (v: MessageValues) =>
  `You can join from the app from 15 minutes before the start: ${v.link}`;

const reminder = (hours: number) => ({
  subject: (v: MessageValues) =>
    v.role === 'patient'
      ? `Reminder: your consultation with ${v.doctorName}, ${v.whenShort}`
      : `Reminder: consultation with ${v.patientName}, ${v.whenShort}`,
  paragraphs: (v: MessageValues) =>
    v.role === 'patient'
      ? [
          `Your ${en.modes[v.mode]} consultation with ${v.doctorName} is on ${v.when}, ${inHours(hours)}.`,
          joinLine(v),
        ]
      : [
          `Your ${en.modes[v.mode]} consultation with ${v.patientName} is on ${v.when}, ${inHours(hours)}.`,
          `Open it in the app: ${v.link}`,
        ],
  sms: (v: MessageValues) =>
    v.role === 'patient'
      ? `Amrutam: reminder, your consultation with ${v.doctorName} is at ${v.whenShort} (${inHours(hours)}). Join from the app.`
      : `Amrutam: reminder, you have a consultation at ${v.whenShort} (${inHours(hours)}).`,
});

export const en: Language = {
  tag: 'en-IN',
  greeting: (name) => `Hello ${name},`,
  zoneNote: (zone) => `Times are in the doctor's time zone (${zone}), as the app shows them.`,
  signOff: '— Amrutam',
  modes: { video: 'video', audio: 'audio', chat: 'chat' },
  templates: {
    confirmed: {
      subject: (v) =>
        v.role === 'patient'
          ? `Confirmed: your consultation with ${v.doctorName}`
          : `New booking: ${v.patientName}, ${v.whenShort}`,
      paragraphs: (v) =>
        v.role === 'patient'
          ? [
              `Your ${en.modes[v.mode]} consultation with ${v.doctorName} is confirmed for ${v.when}.`,
              joinLine(v),
            ]
          : [
              `${v.patientName} booked a ${en.modes[v.mode]} consultation with you for ${v.when}.`,
              `Open it in the app: ${v.link}`,
            ],
      sms: (v) =>
        v.role === 'patient'
          ? `Amrutam: your consultation with ${v.doctorName} is confirmed for ${v.whenShort}.`
          : `Amrutam: new ${en.modes[v.mode]} consultation booked for ${v.whenShort}.`,
    },
    payment_failed: {
      subject: () => 'Your payment did not go through',
      paragraphs: (v) => [
        `Your payment of ${v.amount} for the consultation with ${v.doctorName} on ${v.when} did not go through.`,
        v.holdUntil
          ? `Your slot is held until ${v.holdUntil}: pay again in the app before then to keep it: ${v.link}`
          : `Book again in the app to choose a slot: ${v.link}`,
      ],
      sms: (v) =>
        v.holdUntil
          ? `Amrutam: your payment of ${v.amount} did not go through. Pay again in the app by ${v.holdUntil} to keep your slot.`
          : `Amrutam: your payment of ${v.amount} did not go through.`,
    },
    hold_expired: {
      subject: () => 'Your booking was released',
      paragraphs: (v) => [
        `The payment for your consultation with ${v.doctorName} on ${v.when} did not arrive in time, so the slot was released.`,
        'A payment that arrives late is refunded in full.',
        `Book another slot in the app: ${v.link}`,
      ],
      sms: (v) =>
        `Amrutam: your booking for ${v.whenShort} was released: the payment did not arrive in time. Book again in the app.`,
    },
    cancelled: {
      subject: (v) => `Cancelled: consultation on ${v.whenShort}`,
      paragraphs: (v) =>
        v.role === 'patient'
          ? [
              `Your consultation with ${v.doctorName} on ${v.when} was cancelled ${cancelledBy(v)}.`,
              v.refund
                ? `A refund of ${v.refund} is on its way to the account you paid from.`
                : 'No refund is due for this cancellation.',
            ]
          : [
              `The consultation with ${v.patientName} on ${v.when} was cancelled ${cancelledBy(v)}.`,
              'The slot is open for booking again.',
            ],
      sms: (v) =>
        v.role === 'patient' && v.refund
          ? `Amrutam: your consultation on ${v.whenShort} is cancelled. Refund: ${v.refund}.`
          : `Amrutam: the consultation on ${v.whenShort} is cancelled.`,
    },
    rescheduled: {
      subject: (v) => `Moved: consultation now on ${v.whenShort}`,
      paragraphs: (v) =>
        v.role === 'patient'
          ? [`Your consultation with ${v.doctorName} is now on ${v.when}.`, joinLine(v)]
          : [
              `${v.patientName} moved their consultation with you to ${v.when}.`,
              `Open it in the app: ${v.link}`,
            ],
      sms: (v) =>
        v.role === 'patient'
          ? `Amrutam: your consultation with ${v.doctorName} is now on ${v.whenShort}.`
          : `Amrutam: a consultation was moved to ${v.whenShort}.`,
    },
    reminder_24h: reminder(24),
    reminder_1h: reminder(1),
    prescription_ready: {
      subject: (v) => `Your prescription from ${v.doctorName} is ready`,
      paragraphs: (v) => [
        `${v.doctorName} has issued the prescription for your consultation on ${v.when}.`,
        `Download it from the app: ${v.link}`,
      ],
      sms: (v) => `Amrutam: your prescription from ${v.doctorName} is ready. Open the app to download it.`,
    },
  },
};
