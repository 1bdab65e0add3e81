import type { ActionKind, Automation, AutomationSpec, Trigger } from '../domain/automations.ts';

/** What one action of a run did: done (with what it made), skipped (why: opted out, no mobile…), or failed. */
export interface ActionOutcome {
  index: number;
  kind: ActionKind;
  state: 'pending' | 'done' | 'skipped' | 'failed';
  detail: string | null;
}

export interface AutomationRun {
  id: number;
  automationId: number;
  eventId: string;
  eventType: string;
  ticketId: number | null;
  fired: boolean;
  reason: string;
  /** Which of the automation's action lists this run runs (domain branchActions); null: its "then". */
  branch: string | null;
  actions: ActionOutcome[];
  state: 'skipped' | 'running' | 'done' | 'failed';
  createdAt: Date;
  finishedAt: Date | null;
}

export type NewRun = Pick<AutomationRun, 'automationId' | 'eventId' | 'eventType' | 'ticketId' | 'fired' | 'reason' | 'branch'> & { actions: ActionKind[] };

export interface AutomationStore {
  list(): Promise<(Automation & { createdAt: Date; updatedAt: Date })[]>;
  get(id: number): Promise<(Automation & { createdAt: Date; updatedAt: Date }) | null>;
  create(spec: AutomationSpec): Promise<number>;
  update(id: number, spec: AutomationSpec): Promise<boolean>;
  remove(id: number): Promise<boolean>;
  /** The enabled automations of a trigger (cached briefly: evaluated for every event). */
  enabledFor(trigger: Trigger): Promise<Automation[]>;
  /**
   * The run of this automation for this event: recorded now with its decision (and its actions pending when
   * it fired), or the one recorded before (a replayed event), unchanged.
   */
  startRun(run: NewRun): Promise<AutomationRun>;
  /** startRun for several automations and one event, in one statement (in the order given). */
  startRuns(runs: readonly NewRun[]): Promise<AutomationRun[]>;
  /** Records one action's outcome (only while still pending: a replay never rewrites what happened). */
  settleAction(runId: number, index: number, state: 'done' | 'skipped' | 'failed', detail: string | null): Promise<void>;
  /** Notes what a pending action is doing (a call attempt beginning), leaving it pending. */
  noteAction(runId: number, index: number, detail: string): Promise<void>;
  finishRun(runId: number, state: 'done' | 'failed'): Promise<void>;
  runs(automationId: number, limit: number): Promise<AutomationRun[]>;
  /** How many runs it has had: all, those that fired, and the newest one's time. */
  runCounts(automationId: number): Promise<{ runs: number; fired: number; latestAt: Date | null }>;
}
