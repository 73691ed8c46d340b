// The rows of the SQLite store's tables and the records they map to (the area files beside this one).
import type { OidcRecord, StaticTokenRecord, UserRecord } from '../types.js';

export interface StaticTokenRow {
  name: string;
  hash: string;
  roles: string;
  created_at: number;
}

export const toStaticToken = (row: StaticTokenRow): StaticTokenRecord => ({
  name: row.name,
  hash: row.hash,
  roles: JSON.parse(row.roles),
  createdAt: row.created_at,
});

export interface OidcRow {
  id: string;
  payload: string;
  expires_at: number | null;
}

export interface UserRow {
  username: string;
  password_hash: string;
  display_name: string | null;
  email: string | null;
  roles: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export const toRecord = (row: OidcRow): OidcRecord => ({
  payload: JSON.parse(row.payload),
  expiresAt: row.expires_at ?? undefined,
});

export const toUser = (row: UserRow): UserRecord => ({
  username: row.username,
  passwordHash: row.password_hash,
  displayName: row.display_name ?? undefined,
  email: row.email ?? undefined,
  roles: JSON.parse(row.roles),
  ...(row.disabled ? { disabled: true } : {}),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});
