import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Settings, TwilioNumber, User } from './types.ts';

/** Who is signed in, and what the whole console shares: the settings (admins only) and the sandbox. */
export interface SessionValue {
  user: User;
  isAdmin: boolean;
  /** `GET /api/v1/settings`, for admins; null for agents or while it loads or when it failed. */
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
