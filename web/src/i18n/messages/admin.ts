/** The admin pages' words. Keys are "admin.<page>.<thing>". */
export const en = {
  'admin.title': 'Admin',
} as const;

export const hi: Record<keyof typeof en, string> = {
  'admin.title': 'admin',
};
