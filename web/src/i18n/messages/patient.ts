/** The patient pages' words. Keys are "patient.<page>.<thing>". */
export const en = {
  'patient.title': 'Patient',
} as const;

export const hi: Record<keyof typeof en, string> = {
  'patient.title': 'patient',
};
