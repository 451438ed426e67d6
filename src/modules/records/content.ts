import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { canonicalJson } from '../../platform/canonical-json.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import type { Sex } from '../../platform/db/schema.ts';
import type { medicineSchema } from './schemas.ts';

/**
 * What a prescription version says: everything SPEC §3.6 lists, with the issuer and the patient as
 * they were at issue time. It is stored as its canonical JSON (sealed), and its SHA-256 is the hash
 * printed on the PDF and confirmed by the public verification.
 *
 * Invariants:
 * - The canonical JSON of a content is one string (sorted keys, no whitespace), so the hash is
 *   reproducible from the content alone.
 * - The content includes the random verification id, so the (public) hash can't be matched against
 *   guessed contents.
 */

export type Medicine = z.infer<typeof medicineSchema>;

export interface PrescriptionContent {
  prescriptionId: string;
  appointmentId: string;
  version: number;
  issuedAt: string;
  /** The date on the prescription, in the doctor's time zone. */
  issuedOn: string;
  verificationId: string;
  doctor: { id: string; name: string; registrationNumber: string; council: string };
  patient: { id: string; name: string; age: number; sex: Sex };
  diagnosis: string;
  provisional: boolean;
  medicines: Medicine[];
  advice: string | null;
  followUpInDays: number | null;
}

export const canonicalContent = (content: PrescriptionContent): string => canonicalJson(content);
export const contentHash = (canonical: string): string => sha256Hex(canonical);

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** 128 random bits as 26 characters of RFC 4648 base32 (lower case, unpadded). */
export function newVerificationId(): string {
  const bytes = randomBytes(16);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xfff; // only the bits not yet written matter (< 12)
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The calendar date (`YYYY-MM-DD`) at `at` in `timeZone`. */
export function dateIn(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}
