import { useLiveStatus } from '../live.tsx';

const LABEL = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' } as const;
const HELP = {
  live: 'Live updates are on: new texts and status changes appear by themselves.',
  connecting: 'Connecting to live updates…',
  reconnecting: 'Live updates were interrupted; reconnecting. Lists may be out of date until then.',
} as const;

/** "Live" while the event stream is open, "Reconnecting…" while the browser tries again. */
export function LiveIndicator() {
  const status = useLiveStatus();
  return (
    <span class={`live live-${status}`} data-testid="live-indicator" data-status={status} title={HELP[status]} role="status">
      <span class="live-dot" aria-hidden="true" />
      {LABEL[status]}
    </span>
  );
}
