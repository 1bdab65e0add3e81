import { Component, type ComponentChildren } from 'preact';
import { errorMessage } from '../api.ts';
import { fullTime, shortTime } from '../format.ts';
import type { Resource } from '../hooks.ts';
import type { TicketStatus } from '../../../src/domain/ticket-status.ts';
import type { Status } from '../../../src/domain/message-status.ts';

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

/** A resource's load error (with Retry) and, until it has data, its loading line (`loadingWhat`, else `what`). */
export function LoadState<T>({ of: r, what, loadingWhat = what }: { of: Resource<T>; what: string; loadingWhat?: string }) {
  return (
    <>
      {r.error ? <LoadError error={r.error} retry={r.reload} what={what} /> : null}
      {!r.data && r.loading ? <Loading what={loadingWhat} /> : null}
    </>
  );
}

/**
 * A table in a region of its own that scrolls sideways on a narrow screen (focusable, so the keyboard scrolls it
 * too): its column heads, then `hiddenHead` for a last column of buttons, named for screen readers only; the
 * children are its rows.
 */
export function TableRegion({
  label, testId, class: extra, caption, heads, hiddenHead, children,
}: {
  label: string;
  testId: string;
  class?: string;
  caption?: string;
  heads: readonly string[];
  hiddenHead?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table class={extra ? `table ${extra}` : 'table'} data-testid={testId}>
        {caption ? <caption class="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {heads.map((head) => (
              <th key={head} scope="col">
                {head}
              </th>
            ))}
            {hiddenHead ? (
              <th scope="col">
                <span class="visually-hidden">{hiddenHead}</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A list screen's heading, with "Updating…" beside it while what it shows reloads. */
export function ScreenHead({ title, updating }: { title: string; updating: boolean }) {
  return (
    <div class="screen-head">
      <h1 tabIndex={-1}>{title}</h1>
      {updating ? <span class="hint">Updating…</span> : null}
    </div>
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

// Keyed by the domain's statuses, so a status added there must be labelled here.
const TICKET_STATUS_LABEL: Record<TicketStatus, string> = { open: 'Open', pending: 'Pending', resolved: 'Resolved', closed: 'Closed' };

/** A ticket status as people read it: "Open", "Pending", … */
export function ticketStatusLabel(status: string): string {
  return (TICKET_STATUS_LABEL as Record<string, string>)[status] ?? status;
}

export function TicketStatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-ticket badge-${status}`}>{ticketStatusLabel(status)}</span>;
}

const DELIVERY_HELP: Record<Status, string> = {
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
      <span class={`badge badge-delivery delivery-${status}`} data-testid="delivery-badge" title={(DELIVERY_HELP as Record<string, string>)[status] ?? status}>
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
