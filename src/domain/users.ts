/** A console user as the server and the console see it (no secrets). */
export type Role = 'admin' | 'agent';

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
}
