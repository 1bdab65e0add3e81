import { Component, type ComponentChildren } from 'preact';
import { errorMessage } from '../api.ts';
import { fullTime, shortTime } from '../format.ts';

/** A failed fetch: what went wrong, and a Retry button. Never a blank screen. */
export function LoadError({ error, retry, what }: { error: unknown; retry: () => void; what?: string }) {
  return (
    <div class="notice notice-error" role="alert">
      <p>
        {what ? <strong>Could not load {what}. </strong> : null}
        {errorMessage(error)}
      </p>
      <button type="button" onClick={retry}>
        Retry
      </button>
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <p class="loading" role="status">
      {what ? `Loading ${what}…` : 'Loading…'}
    </p>
  );
}

export function Time({ value, full = false }: { value: string | null | undefined; full?: boolean }) {
  if (!value) return null;
  return (
    <time dateTime={value} title={fullTime(value)}>
      {full ? fullTime(value) : shortTime(value)}
    </time>
  );
}

const TICKET_STATUS_LABEL: Record<string, string> = { open: 'Open', pending: 'Pending', resolved: 'Resolved', closed: 'Closed' };

export function TicketStatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-ticket badge-${status}`}>{TICKET_STATUS_LABEL[status] ?? status}</span>;
}

const DELIVERY_HELP: Record<string, string> = {
  accepted: 'Twilio accepted it',
  scheduled: 'scheduled to send later',
  queued: 'waiting to be sent',
  sending: 'being sent',
  sent: 'sent to the carrier',
  delivered: 'reached the handset',
  undelivered: 'did not reach the handset',
  failed: 'could not be sent',
  read: 'read by the customer',
  canceled: 'canceled before sending',
  received: 'received',
  receiving: 'being received',
};

/** A delivery status. Its text is exactly the status; screen readers hear "Delivery status:" first. */
export function DeliveryBadge({ status }: { status: string }) {
  return (
    <span class="delivery">
      <span class="visually-hidden">Delivery status: </span>
      <span class={`badge badge-delivery delivery-${status}`} data-testid="delivery-badge" title={DELIVERY_HELP[status] ?? status}>
        {status}
      </span>
    </span>
  );
}

interface BoundaryProps {
  children: ComponentChildren;
}

/** Around every screen: a render error shows "Something went wrong" with its message, not a blank page. */
export class ErrorBoundary extends Component<BoundaryProps, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static override getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidCatch(error: unknown) {
    console.error(error);
    this.setState({ error });
  }

  override render() {
    if (this.state.error) {
      return (
        <div class="notice notice-error" role="alert">
          <h2>Something went wrong</h2>
          <p>{errorMessage(this.state.error)}</p>
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}
