import type { Sql } from './sql.ts';
import { AppError } from '../../domain/errors.ts';
import type { Template, TemplateStore } from '../../ports/template-store.ts';

interface Row {
  id: number;
  name: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, body, created_at, updated_at';

const toTemplate = (r: Row): Template => ({ id: r.id, name: r.name, body: r.body, createdAt: r.created_at, updatedAt: r.updated_at });

export class SqlTemplateStore implements TemplateStore {
  constructor(private readonly sql: Sql) {}

  async list(): Promise<Template[]> {
    const rows = await this.sql.query<Row>(`SELECT ${COLUMNS} FROM templates ORDER BY name, id`);
    return rows.map(toTemplate);
  }

  async get(id: number): Promise<Template | null> {
    const rows = await this.sql.query<Row>(`SELECT ${COLUMNS} FROM templates WHERE id = $1`, [id]);
    return rows[0] ? toTemplate(rows[0]) : null;
  }

  async create(input: { name: string; body: string }): Promise<Template> {
    // The UNIQUE constraint, not a prior SELECT, decides between two concurrent creates of one name.
    const rows = await this.sql
      .query<Row>(`INSERT INTO templates (name, body) VALUES ($1, $2) RETURNING ${COLUMNS}`, [input.name, input.body])
      .catch((err: unknown) => nameTaken(err, input.name));
    return toTemplate(rows[0]!);
  }

  async update(id: number, input: { name?: string; body?: string }): Promise<Template | null> {
    const rows = await this.sql
      .query<Row>(
        `UPDATE templates SET name = COALESCE($2, name), body = COALESCE($3, body), updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, input.name ?? null, input.body ?? null],
      )
      .catch((err: unknown) => nameTaken(err, input.name ?? ''));
    return rows[0] ? toTemplate(rows[0]) : null;
  }

  async delete(id: number): Promise<boolean> {
    const rows = await this.sql.query<{ id: number }>('DELETE FROM templates WHERE id = $1 RETURNING id', [id]);
    return rows.length > 0;
  }
}

/** A unique violation (SQLSTATE 23505; PGlite may wrap it in `cause`) is the name being taken; anything else is rethrown. */
function nameTaken(err: unknown, name: string): never {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (e?.code === '23505' || e?.cause?.code === '23505') {
    throw new AppError('conflict', 'template_name_taken', `A template named "${name}" already exists; choose another name.`, { cause: err });
  }
  throw err;
}
