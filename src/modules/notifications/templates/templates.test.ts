import { describe, expect, it } from 'vitest';
import { type MessageFacts, money, render, TEMPLATES } from './index.ts';

const facts: MessageFacts = {
  appointmentId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  doctorName: 'Dr. Asha Rao',
  patientName: 'Meera Iyer',
  mode: 'video',
  startsAt: new Date('2026-03-02T04:00:00Z'),
  zone: 'Asia/Kolkata',
  feeMinor: 50000,
  currency: 'INR',
  holdExpiresAt: new Date('2026-03-01T04:10:00Z'),
  cancelledBy: 'patient',
  refundMinor: 50000,
  publicUrl: 'https://amrutam.example',
};
const roles = ['patient', 'doctor'] as const;
const locales = ['en', 'hi'] as const;
const DEVANAGARI = /[\u0900-\u097F]/;

describe('notification templates', () => {
  it('every template, language and role: subject, text, HTML and SMS, nothing left unfilled', () => {
    for (const template of TEMPLATES)
      for (const locale of locales)
        for (const role of roles) {
          const m = render(template, { role, name: 'Meera Iyer', locale }, facts);
          const all = [m.email.subject, m.email.text, m.email.html, m.sms].join('\n');
          expect(all, `${template} ${locale} ${role}`).not.toMatch(/undefined|null|NaN|\[object/);
          expect(m.email.text).toContain('(Asia/Kolkata)');
          expect(m.sms).toMatch(/^Amrutam: /);
          expect(m.sms.length, `${template} ${locale} ${role}: ${m.sms}`).toBeLessThanOrEqual(160);
          expect(DEVANAGARI.test(m.email.subject + m.email.text), `${template} ${locale}`).toBe(
            locale === 'hi',
          );
        }
  });

  it('times are the doctor’s, with the zone said; money is written for the language', () => {
    const confirmed = render('confirmed', { role: 'patient', name: 'Meera', locale: 'en' }, facts);
    expect(confirmed.email.text).toContain('confirmed for Monday, 2 March 2026 at 9:30 am IST.');
    expect(confirmed.sms).toContain('2 Mar, 9:30 am IST');
    const newYork = render(
      'reminder_1h',
      { role: 'doctor', name: 'Asha', locale: 'en' },
      {
        ...facts,
        zone: 'America/New_York',
      },
    );
    expect(newYork.email.text).toContain('Sunday, 1 March 2026 at 11:00 pm GMT-5');
    expect(newYork.email.text).toContain('(America/New_York)');
    const hindi = render('cancelled', { role: 'patient', name: 'मीरा', locale: 'hi' }, facts);
    expect(hindi.email.text).toContain('₹500.00 की धनवापसी');
    expect(hindi.email.text).toContain('सोमवार, 2 मार्च 2026');
    expect(money(12_345_650, 'INR', 'en-IN')).toBe('₹1,23,456.50');
    expect(money(12_345_650, 'INR', 'hi-IN')).toBe('₹1,23,456.50');
    expect(money(1999, 'USD', 'en-IN')).toBe('$19.99');
  });

  it('no refund due is said so; a doctor never reads the refund', () => {
    const none = render(
      'cancelled',
      { role: 'patient', name: 'M', locale: 'en' },
      { ...facts, refundMinor: 0 },
    );
    expect(none.email.text).toContain('No refund is due');
    expect(none.sms).not.toContain('₹');
    const doctor = render('cancelled', { role: 'doctor', name: 'A', locale: 'en' }, facts);
    expect(doctor.email.text).toContain('was cancelled by the patient');
    expect(doctor.email.text + doctor.sms).not.toContain('₹');
  });

  it('HTML is escaped, with the link clickable', () => {
    const m = render(
      'confirmed',
      { role: 'doctor', name: '<b>A</b>', locale: 'en' },
      {
        ...facts,
        patientName: 'Meera <script>alert(1)</script>',
      },
    );
    expect(m.email.html).not.toContain('<script>');
    expect(m.email.html).toContain('&#60;script&#62;');
    expect(m.email.html).toContain(`<a href="https://amrutam.example/appointments/${facts.appointmentId}">`);
  });
});
