/** Reference values (from the team's ayurveda.json): what profiles and search filters accept. */
export const SPECIALIZATIONS = [
  { slug: 'kayachikitsa', name: 'Kayachikitsa' },
  { slug: 'shalya-tantra', name: 'Shalya Tantra' },
  { slug: 'shalakya-tantra', name: 'Shalakya Tantra' },
  { slug: 'kaumarabhritya', name: 'Kaumarabhritya' },
  { slug: 'prasuti-stri-roga', name: 'Prasuti Tantra evam Stri Roga' },
  { slug: 'agada-tantra', name: 'Agada Tantra' },
  { slug: 'rasayana', name: 'Rasayana' },
  { slug: 'vajikarana', name: 'Vajikarana' },
  { slug: 'panchakarma', name: 'Panchakarma' },
  { slug: 'dravyaguna', name: 'Dravyaguna' },
  { slug: 'rasa-shastra', name: 'Rasa Shastra' },
  { slug: 'swasthavritta', name: 'Swasthavritta' },
  { slug: 'manas-roga', name: 'Manas Roga' },
  { slug: 'twak-roga', name: 'Twak Roga' },
] as const;

export const SPECIALIZATION_SLUGS = SPECIALIZATIONS.map((s) => s.slug);
export const SPECIALIZATION_NAMES: ReadonlyMap<string, string> = new Map(
  SPECIALIZATIONS.map((s) => [s.slug, s.name]),
);

/** ISO 639-1 codes. */
export const LANGUAGES = [
  'hi',
  'en',
  'bn',
  'te',
  'mr',
  'ta',
  'gu',
  'kn',
  'ml',
  'or',
  'pa',
  'as',
  'ur',
  'sa',
] as const;

export const COUNCILS = ['NCISM', 'CCIM', 'STATE'] as const;

export const MODES = ['video', 'audio', 'chat'] as const;

/** Currencies fees may be in (ISO 4217). Payments settle in INR today. */
export const CURRENCIES = ['INR'] as const;
