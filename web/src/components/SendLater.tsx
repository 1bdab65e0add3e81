import { useState } from 'preact/hooks';
import { errorMessage, get } from '../api.ts';
import { useResource } from '../hooks.ts';
import {
  agentTime, agentZone, defaultSendLater, forTheCustomer, fromLocalInput, recipientZone, sendAtProblem, toLocalInput,
} from '../schedule-time.ts';
import type { ScheduleSettings } from '../types.ts';

/** The composer's choice between sending now and at a time the agent picks. */
export interface SendLater {
  later: boolean;
  setLater: (later: boolean) => void;
  /** The datetime-local value, in the agent's time zone. */
  when: string;
  setWhen: (when: string) => void;
  at: Date | null;
  /** Why the chosen time cannot be used; null when sending now or when it can. */
  problem: string | null;
  /** The time to pass as `sendAt` (ISO 8601 with its offset), or undefined to send now. */
  sendAt: () => string | undefined;
  /** Back to "Send now" (after a text was scheduled). */
  reset: () => void;
}

export function useSendLater(): SendLater {
  const [later, setLaterState] = useState(false);
  const [when, setWhen] = useState('');
  const at = later ? fromLocalInput(when) : null;
  const setLater = (value: boolean) => {
    setLaterState(value);
    if (value && !when) setWhen(toLocalInput(defaultSendLater()));
  };
  return {
    later,
    setLater,
    when,
    setWhen,
    at,
    problem: later ? sendAtProblem(at) : null,
    sendAt: () => (later && at ? at.toISOString() : undefined),
    reset: () => {
      setLaterState(false);
      setWhen('');
    },
  };
}

/** "Send now" or "Send later": a date and time on the agent's clock, the customer's own time beside it. */
export function SendLaterPicker({ state, phone }: { state: SendLater; phone: string }) {
  return (
    <fieldset class="send-when" data-testid="send-when">
      <legend>When to send</legend>
      <div class="radio-row">
        <label class="radio">
          <input type="radio" name="send-when" value="now" checked={!state.later} onChange={() => state.setLater(false)} data-testid="send-now" />
          Send now
        </label>
        <label class="radio">
          <input type="radio" name="send-when" value="later" checked={state.later} onChange={() => state.setLater(true)} data-testid="send-later" />
          Send later
        </label>
      </div>
      {state.later ? <LaterFields state={state} phone={phone} /> : null}
    </fieldset>
  );
}

function LaterFields({ state, phone }: { state: SendLater; phone: string }) {
  const zone = useResource(() => (phone ? recipientZone(phone) : Promise.resolve(null)), [phone]);
  const schedule = useResource(() => get<ScheduleSettings>('/api/v1/settings/schedule'), []);
  const now = new Date();
  const yearAhead = new Date(now);
  yearAhead.setFullYear(yearAhead.getFullYear() + 1);
  const next = schedule.data?.businessHours && schedule.data.nextOpening ? new Date(schedule.data.nextOpening) : null;
  const quiet = schedule.data?.quietHours;

  return (
    <div class="send-later" data-testid="send-later-fields">
      <div class="field">
        <label for="send-later-at">Date and time (your time, {agentZone()})</label>
        <div class="input-row send-later-row">
          <input
            id="send-later-at"
            type="datetime-local"
            value={state.when}
            min={toLocalInput(now)}
            max={toLocalInput(yearAhead)}
            onInput={(e) => state.setWhen(e.currentTarget.value)}
            aria-describedby="send-later-customer send-later-problem"
            aria-invalid={state.problem ? true : undefined}
            data-testid="send-later-at"
          />
          {next ? (
            <button type="button" class="button-secondary" onClick={() => state.setWhen(toLocalInput(next))} data-testid="next-business-morning">
              Next business morning<span class="hint-inline"> ({agentTime(next)})</span>
            </button>
          ) : null}
        </div>
        <p id="send-later-customer" class="hint" aria-live="polite" data-testid="send-later-customer">
          {!phone
            ? ''
            : zone.error
              ? `Could not find the customer's time zone: ${errorMessage(zone.error)}`
              : zone.data && state.at
                ? `${forTheCustomer(state.at, zone.data.zone)}${zone.data.source.startsWith('DEFAULT_TIMEZONE') ? ' (smsdesk’s default: the number does not tell)' : ''}`
                : zone.loading
                  ? 'Finding the customer’s time zone…'
                  : ''}
        </p>
        <p id="send-later-problem" class={state.problem ? 'field-error' : 'visually-hidden'} data-testid="send-later-problem">
          {state.problem ?? ''}
        </p>
        {quiet ? (
          <p class="hint">
            Quiet hours {quiet} (the customer's time): a scheduled text due then waits until they end.
          </p>
        ) : null}
      </div>
    </div>
  );
}
