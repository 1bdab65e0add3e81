/** Message templates as stored: a unique name and a body with `{{placeholder}}`s (see domain/templates.ts). */
export interface Template {
  id: number;
  name: string;
  body: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface TemplateStore {
  /** Every template, ordered by name. */
  list(): Promise<Template[]>;
  get(id: number): Promise<Template | null>;
  /** Throws AppError 'conflict' (template_name_taken) when the name is in use, even by a concurrent create. */
  create(input: { name: string; body: string }): Promise<Template>;
  /** Changes the given fields; null when there is no such template. Same conflict as create. */
  update(id: number, input: { name?: string; body?: string }): Promise<Template | null>;
  /** false when there was no such template. */
  delete(id: number): Promise<boolean>;
}
