import type { Sql } from './sql.ts';
import type { ActionKind, Automation, AutomationSpec, Trigger } from '../../domain/automations.ts';
import type { ActionOutcome, AutomationRun, AutomationStore, NewRun } from '../../ports/automation-store.ts';

interface AutomationRow {
  id: number;
  name: string;
  enabled: boolean;
  trigger: Trigger;
  spec: AutomationSpec;
  created_at: Date;
  updated_at: Date;
}

interface RunRow {
  id: number;
  automation_id: number;
  event_id: string;
  event_type: string;
  ticket_id: string | number | null;
  fired: boolean;
  reason: string;
  branch: string | null;
  actions: ActionOutcome[];
  state: AutomationRun['state'];
  created_at: Date;
  finished_at: Date | null;
}

const CACHE_MS = 2_000;

const toAutomation = (r: AutomationRow) => ({
  ...r.spec, id: r.id, name: r.name, enabled: r.enabled, when: r.trigger, createdAt: r.created_at, updatedAt: r.updated_at,
});

const toRun = (r: RunRow): AutomationRun => ({
  id: r.id, automationId: r.automation_id, eventId: r.event_id, eventType: r.event_type,
  ticketId: r.ticket_id === null ? null : Number(r.ticket_id), fired: r.fired, reason: r.reason, branch: r.branch, actions: r.actions,
  state: r.state, createdAt: r.created_at, finishedAt: r.finished_at,
});

const RUN_COLUMNS = 'id, automation_id, event_id, event_type, ticket_id, fired, reason, branch, actions, state, created_at, finished_at';

export class SqlAutomationStore implements AutomationStore {
  private cache: { at: number; byTrigger: Map<string, Automation[]> } | null = null;

  constructor(private readonly sql: Sql) {}

  async list() {
    const rows = await this.sql.query<AutomationRow>('SELECT * FROM automations ORDER BY id');
    return rows.map(toAutomation);
  }

  async get(id: number) {
    const [r] = await this.sql.query<AutomationRow>('SELECT * FROM automations WHERE id = $1', [id]);
    return r ? toAutomation(r) : null;
  }

  async create(spec: AutomationSpec): Promise<number> {
    this.cache = null;
    const [r] = await this.sql.query<{ id: number }>(
      'INSERT INTO automations (name, enabled, trigger, spec) VALUES ($1, $2, $3, $4::json) RETURNING id',
      [spec.name, spec.enabled, spec.when, JSON.stringify(spec)],
    );
    return r!.id;
  }

  async update(id: number, spec: AutomationSpec): Promise<boolean> {
    this.cache = null;
    const rows = await this.sql.query(
      'UPDATE automations SET name = $2, enabled = $3, trigger = $4, spec = $5::json, updated_at = now() WHERE id = $1 RETURNING id',
      [id, spec.name, spec.enabled, spec.when, JSON.stringify(spec)],
    );
    return rows.length > 0;
  }

  async remove(id: number): Promise<boolean> {
    this.cache = null;
    return (await this.sql.query('DELETE FROM automations WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async enabledFor(trigger: Trigger): Promise<Automation[]> {
    if (!this.cache || Date.now() - this.cache.at > CACHE_MS) {
      const rows = await this.sql.query<AutomationRow>('SELECT * FROM automations WHERE enabled ORDER BY id');
      const byTrigger = new Map<string, Automation[]>();
      for (const r of rows) byTrigger.set(r.trigger, [...(byTrigger.get(r.trigger) ?? []), toAutomation(r)]);
      this.cache = { at: Date.now(), byTrigger };
    }
    return this.cache.byTrigger.get(trigger) ?? [];
  }

  async startRun(run: NewRun): Promise<AutomationRun> {
    const [r] = await this.startRuns([run]);
    return r!;
  }

  async startRuns(runs: readonly NewRun[]): Promise<AutomationRun[]> {
    if (!runs.length) return [];
    const input = runs.map((run, ord) => ({
      ord, automation_id: run.automationId, event_id: run.eventId, event_type: run.eventType, ticket_id: run.ticketId, fired: run.fired,
      reason: run.reason.slice(0, 500), branch: run.branch,
      actions: run.fired ? run.actions.map((kind: ActionKind, index): ActionOutcome => ({ index, kind, state: 'pending', detail: null })) : [],
    }));
    const rows = await this.sql.query<RunRow & { ord: number }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(ord int, automation_id int, event_id text, event_type text, ticket_id bigint,
                                                          fired boolean, reason text, branch text, actions jsonb)
       ), ins AS (
         INSERT INTO automation_runs (automation_id, event_id, event_type, ticket_id, fired, reason, actions, state, finished_at, branch)
         SELECT automation_id, event_id, event_type, ticket_id, fired, reason, actions,
                CASE WHEN fired THEN 'running' ELSE 'skipped' END, CASE WHEN fired THEN NULL ELSE now() END, branch
           FROM input ORDER BY ord
         ON CONFLICT (automation_id, event_id) DO NOTHING
         RETURNING ${RUN_COLUMNS}
       )
       SELECT input.ord, r.* FROM input
         JOIN (SELECT ${RUN_COLUMNS} FROM ins
               UNION ALL
               SELECT ${RUN_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')} FROM automation_runs a JOIN input i ON a.automation_id = i.automation_id AND a.event_id = i.event_id
                WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.automation_id = a.automation_id AND ins.event_id = a.event_id)) r
           ON r.automation_id = input.automation_id AND r.event_id = input.event_id
        ORDER BY input.ord`,
      [JSON.stringify(input)],
    );
    if (rows.length !== runs.length) throw new Error(`automation runs for ${runs[0]!.eventId}: ${rows.length} of ${runs.length} recorded or found`);
    return rows.map(toRun);
  }

  async settleAction(runId: number, index: number, state: 'done' | 'skipped' | 'failed', detail: string | null): Promise<void> {
    await this.sql.query(
      `UPDATE automation_runs
          SET actions = jsonb_set(actions, ARRAY[$2::text], (actions -> $2::int) || jsonb_build_object('state', $3::text, 'detail', $4::text))
        WHERE id = $1 AND actions -> $2::int ->> 'state' = 'pending'`,
      [runId, index, state, detail === null ? null : detail.slice(0, 500)],
    );
  }

  async noteAction(runId: number, index: number, detail: string): Promise<void> {
    await this.sql.query(
      `UPDATE automation_runs SET actions = jsonb_set(actions, ARRAY[$2::text, 'detail'], to_jsonb($3::text))
        WHERE id = $1 AND actions -> $2::int ->> 'state' = 'pending'`,
      [runId, index, detail],
    );
  }

  async finishRun(runId: number, state: 'done' | 'failed'): Promise<void> {
    await this.sql.query(`UPDATE automation_runs SET state = $2, finished_at = now() WHERE id = $1 AND state = 'running'`, [runId, state]);
  }

  async runCounts(automationId: number): Promise<{ runs: number; fired: number; latestAt: Date | null }> {
    const [r] = await this.sql.query<{ runs: number; fired: number; latest_at: Date | null }>(
      `SELECT count(*)::int AS runs, count(*) FILTER (WHERE fired)::int AS fired, max(created_at) AS latest_at
         FROM automation_runs WHERE automation_id = $1`,
      [automationId],
    );
    return { runs: r?.runs ?? 0, fired: r?.fired ?? 0, latestAt: r?.latest_at ?? null };
  }

  async runs(automationId: number, limit: number): Promise<AutomationRun[]> {
    const rows = await this.sql.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM automation_runs WHERE automation_id = $1 ORDER BY id DESC LIMIT $2`,
      [automationId, limit],
    );
    return rows.map(toRun);
  }
}
