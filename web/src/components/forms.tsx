import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api.ts';

/** What a form's changes are doing: busy while one runs, the error to show, and a notice once one is done. */
export interface Submit {
  busy: boolean;
  error: string | null;
  notice: string | null;
  setError: (error: string | null) => void;
  setNotice: (notice: string | null) => void;
  /**
   * Clears the error and the notice; then shows `refusal` as the error when there is one, or else runs `work`
   * (busy meanwhile, unless `busy: false`) and shows what it returns as the notice, or what it throws as the error.
   */
  run: (work: () => Promise<string | null>, options?: { refusal?: string | null; busy?: boolean }) => Promise<void>;
}

export function useSubmit(): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const run: Submit['run'] = async (work, { refusal = null, busy: showBusy = true } = {}) => {
    setError(null);
    setNotice(null);
    if (refusal) {
      setError(refusal);
      return;
    }
    if (showBusy) setBusy(true);
    try {
      setNotice(await work());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      if (showBusy) setBusy(false);
    }
  };

  return { busy, error, notice, setError, setNotice, run };
}

/** A labelled field: the label names the control (`id`) among the children. */
export function Field({ id, label, class: extra, children }: { id: string; label: string; class?: string; children: ComponentChildren }) {
  return (
    <div class={extra ? `field ${extra}` : 'field'}>
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

/** A filter's choice: "all" (the empty value) or one of `options`. The select's test id is its id. */
export function FilterSelect({
  id, label, all, options, value, onChange, optionLabel = (o) => o,
}: {
  id: string;
  label: string;
  all: string;
  options: readonly string[];
  value: string;
  onChange: (value: string) => void;
  optionLabel?: (option: string) => string;
}) {
  return (
    <Field id={id} label={label}>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)} data-testid={id}>
        <option value="">{all}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {optionLabel(o)}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Suggestions for an input's `list`. */
export function DataList({ id, values }: { id: string; values: readonly string[] }) {
  return (
    <datalist id={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}

/** A form's error (an alert) and its notice (a status), each shown only when there is one. */
export function FormMessages({
  error, notice = null, errorId, errorTestId,
}: { error: string | null; notice?: string | null; errorId?: string; errorTestId?: string }) {
  return (
    <>
      {error ? (
        <p id={errorId} class="field-error" role="alert" data-testid={errorTestId}>
          {error}
        </p>
      ) : null}
      {notice ? (
        <p class="notice-ok" role="status">
          {notice}
        </p>
      ) : null}
    </>
  );
}

/** The submit button, disabled and relabelled while busy, and what stands beside it (a status line). */
export function SubmitActions({
  busy, label, busyLabel, disabled = false, testId, children,
}: { busy: boolean; label: string; busyLabel: string; disabled?: boolean; testId?: string; children?: ComponentChildren }) {
  return (
    <div class="actions">
      <button type="submit" disabled={busy || disabled} data-testid={testId}>
        {busy ? busyLabel : label}
      </button>
      {children}
    </div>
  );
}

/** A settings form's save: its error, the button, and a status line that says "Saved" (or why nothing was saved). */
export function SaveActions({
  form, label, errorTestId, buttonTestId, savedTestId,
}: { form: Submit; label: string; errorTestId: string; buttonTestId: string; savedTestId: string }) {
  return (
    <>
      <FormMessages error={form.error} errorTestId={errorTestId} />
      <SubmitActions busy={form.busy} label={label} busyLabel="Saving…" testId={buttonTestId}>
        <span role="status" class="saved" data-testid={savedTestId}>
          {form.notice ?? ''}
        </span>
      </SubmitActions>
    </>
  );
}

/**
 * A secret shown this once (a new API token, a webhook's signing secret): selected as it appears, with a Copy
 * button; where the browser will not copy, it stays selected and says to press Ctrl+C.
 */
export function ShownOnceField({ id, label, value, what, testId }: { id: string; label: string; value: string; what: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  const [copyError, setCopyError] = useState<string | null>(null);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    ref.current?.select();
    setCopied(false);
    setCopyError(null);
  }, [value]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setCopyError(null);
    } catch {
      ref.current?.select();
      setCopied(false);
      setCopyError(`Could not copy automatically: the ${what} is selected, press Ctrl+C (⌘C) to copy it.`);
    }
  };
  return (
    <>
      <Field id={id} label={label}>
        <div class="input-row">
          <input id={id} ref={ref} class="mono" type="text" readOnly value={value} data-testid={testId} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => void copy()}>
            Copy
          </button>
        </div>
        {copied ? (
          <span class="hint" role="status">
            Copied.
          </span>
        ) : null}
      </Field>
      <FormMessages error={copyError} />
    </>
  );
}
