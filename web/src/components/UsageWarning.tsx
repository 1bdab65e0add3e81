import { useEffect } from 'preact/hooks';
import { get } from '../api.ts';
import { useResource, useThrottled } from '../hooks.ts';
import { useLiveEvents } from '../live.tsx';
import type { Usage } from '../types.ts';

const listeners = new Set<() => void>();

/** Tells every usage view to load again (the limit was changed in Settings). */
export function usageChanged(): void {
  for (const listener of Array.from(listeners)) listener();
}

/** This month's usage, loaded again when texts go out (at most every 10 s) and when the limit changes. */
export function useUsage() {
  const usage = useResource(() => get<Usage>('/api/v1/usage'), []);
  const reload = useThrottled(usage.reload, 10_000);
  useLiveEvents((event) => {
    if (event.type === 'message' && event.data.direction === 'outbound') reload();
  });
  useEffect(() => {
    listeners.add(usage.reload);
    return () => {
      listeners.delete(usage.reload);
    };
  }, [usage.reload]);
  return usage;
}

/** Segments the busiest Twilio account has sent this month: what the limit (per account) is measured on. */
export function busiestAccount(usage: Usage): number {
  return Math.max(0, ...usage.byAccount.map((a) => a.segments));
}

/** The admins' banner at 80% and at 100% of the monthly limit; nothing below that. */
export function UsageBanner({ usage, link = false }: { usage: Usage; link?: boolean }) {
  if (usage.warning === null || usage.limit === null) return null;
  const used = busiestAccount(usage);
  const full = usage.warning >= 1;
  const figures = `${used.toLocaleString()} of ${usage.limit.toLocaleString()} segments in ${usage.month}`;
  return (
    <div class={`notice ${full ? 'notice-error' : 'notice-warn'}`} role="status" data-testid="usage-warning" data-level={String(usage.warning)}>
      <p>
        <strong>{full ? 'The monthly SMS limit is reached' : `${Math.round(usage.warning * 100)}% of the monthly SMS limit is used`}</strong>
        {`: ${figures}. `}
        {full
          ? 'New, scheduled and automated texts are refused until next month or until the limit is raised.'
          : 'Texts past the limit will be refused.'}
        {link ? (
          <>
            {' '}
            <a href="#/settings">See usage in Settings</a>.
          </>
        ) : null}
      </p>
    </div>
  );
}

/** At the top of the console, for admins. */
export function UsageWarning() {
  const usage = useUsage();
  return usage.data ? <UsageBanner usage={usage.data} link /> : null;
}
