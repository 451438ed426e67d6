/** The doctor pages' words. Keys are "doctor.<page>.<thing>". */
export const en = {
  'doctor.title': 'Doctor',
} as const;

export const hi: Record<keyof typeof en, string> = {
  'doctor.title': 'doctor',
};
