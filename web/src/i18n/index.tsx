/**
 * English and Hindi. Every string the app shows comes from a catalogue (catalogue.ts); dates,
 * times and money are formatted by Intl for the chosen locale, always in an explicit time zone.
 * The choice is kept in localStorage (a preference, not a secret) and sets <html lang>.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { catalogues, type Locale, type MessageKey } from './catalogue';

export type { Locale, MessageKey } from './catalogue';
export const LOCALES: readonly Locale[] = ['en', 'hi'];
const STORAGE_KEY = 'amrutam.locale';
const INTL_TAG: Record<Locale, string> = { en: 'en-IN', hi: 'hi-IN' };

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'hi') return saved;
  return navigator.language.toLowerCase().startsWith('hi') ? 'hi' : 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t: Translate;
}
const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLocaleState(next);
  }, []);
  const t = useCallback<Translate>(
    (key, vars) => {
      const text: string = catalogues[locale][key] ?? catalogues.en[key] ?? key;
      return vars ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`)) : text;
    },
    [locale],
  );
  const value = useMemo(() => ({ locale, setLocale, t }), [locale, setLocale, t]);
  return <I18nContext value={value}>{children}</I18nContext>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error('useI18n outside I18nProvider');
  return context;
}

/** Intl formatters for the current locale. Every instant is shown in a named zone. */
export function useFormat() {
  const { locale } = useI18n();
  return useMemo(() => {
    const tag = INTL_TAG[locale];
    const cache = new Map<string, Intl.DateTimeFormat>();
    const dtf = (options: Intl.DateTimeFormatOptions) => {
      const key = JSON.stringify(options);
      let format = cache.get(key);
      if (!format) {
        format = new Intl.DateTimeFormat(tag, options);
        cache.set(key, format);
      }
      return format;
    };
    return {
      tag,
      /** "Fri, 5 Dec, 9:30 am" in the zone given. */
      dateTime: (iso: string, timeZone: string) =>
        dtf({
          timeZone,
          weekday: 'short',
          day: 'numeric',
          month: 'short',
          hour: 'numeric',
          minute: '2-digit',
        }).format(new Date(iso)),
      time: (iso: string, timeZone: string) =>
        dtf({ timeZone, hour: 'numeric', minute: '2-digit' }).format(new Date(iso)),
      day: (iso: string, timeZone: string) =>
        dtf({ timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(iso)),
      shortDay: (iso: string, timeZone: string) =>
        dtf({ timeZone, weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(iso)),
      /** Amounts come in minor units (paise). */
      money: (minor: number, currency = 'INR') =>
        new Intl.NumberFormat(tag, { style: 'currency', currency }).format(minor / 100),
      number: (value: number, digits = 0) =>
        new Intl.NumberFormat(tag, { maximumFractionDigits: digits }).format(value),
      percent: (ratio: number) =>
        new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 1 }).format(ratio),
    };
  }, [locale]);
}
