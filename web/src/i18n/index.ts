/**
 * Languages (SPEC §10): zh-CN and English. `?lang=zh-CN|en` in the URL sets it; otherwise the
 * choice remembered from the header's switch; otherwise the browser's language.
 */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.ts';
import { zhCN } from './zh-CN.ts';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'orderdesk.lang';

function asLanguage(s: string | null | undefined): Language | null {
  if (!s) return null;
  if (s === 'en' || s.toLowerCase().startsWith('en')) return 'en';
  if (s.toLowerCase().startsWith('zh')) return 'zh-CN';
  return null;
}

export function initialLanguage(): Language {
  const fromUrl = asLanguage(new URLSearchParams(window.location.search).get('lang'));
  if (fromUrl) {
    localStorage.setItem(STORAGE_KEY, fromUrl);
    return fromUrl;
  }
  return asLanguage(localStorage.getItem(STORAGE_KEY)) ?? asLanguage(navigator.language) ?? 'en';
}

export function setLanguage(lang: Language): void {
  localStorage.setItem(STORAGE_KEY, lang);
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export function setupI18n(): typeof i18n {
  const lng = initialLanguage();
  document.documentElement.lang = lng;
  void i18n.use(initReactI18next).init({
    lng,
    fallbackLng: false,
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return i18n;
}
