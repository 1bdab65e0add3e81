import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Settings, TwilioNumber, User } from './types.ts';

/** Who is signed in, and what the whole console shares: the settings and the sandbox. */
export interface SessionValue {
  user: User;
  isAdmin: boolean;
  /** `GET /api/v1/settings` (everyone may read it; admins change it); null while it loads or when it failed. */
  settings: Settings | null;
  setSettings: (settings: Settings) => void;
  reloadSettings: () => void;
  /** True when the Twilio emulator's sandbox endpoints answer (or the settings say sandbox). */
  sandboxAvailable: boolean;
  signOut: () => void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

export function knownNumbers(settings: Settings | null): TwilioNumber[] {
  return settings?.twilio.numbers ?? [];
}

/** The groups (teams by Twilio number) some number belongs to, sorted. */
export function knownGroups(settings: Settings | null): string[] {
  return Array.isArray(settings?.groups) ? settings.groups : [];
}
