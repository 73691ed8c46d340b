// What every check group of the doctor shares: the URL under test, the HTTP client, the report,
// the options, and what earlier checks found (metadata documents) for the later ones.
import type { Prober } from './http.js';
import type { Report } from './report.js';

export interface DoctorOptions {
  /** Bound of each request and each wait, ms. */
  timeoutMs: number;
  caFile?: string;
  /** A bearer token for the checks that need an MCP session (streaming). */
  token?: string;
  /** Register a throwaway client, then remove it. */
  register: boolean;
  /** Ids of checks whose failure is not counted. */
  skip?: string[];
}

export interface DoctorContext {
  url: URL;
  prober: Prober;
  report: Report;
  options: DoctorOptions;
  /** The unauthenticated answer of the MCP URL (status and headers), when there was one. */
  challenge?: { status: number; headers: Record<string, string> };
  /** The protected-resource metadata, when it was found. */
  prm?: Record<string, unknown>;
  /** The authorization server's metadata, when it was found. */
  as?: Record<string, unknown>;
}

/** The JSON object a body holds, or undefined (HTML, text, an array, bad JSON). */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** What an answer looks like when it is not the JSON wanted: "HTML (text/html)", "404". */
export function shapeOf(answer: { status: number; headers: Record<string, string>; text: string }): string {
  const type = answer.headers['content-type'] ?? 'no content-type';
  const html = /^\s*<(!doctype|html|head|body)/i.test(answer.text) || type.includes('html');
  return `${answer.status}, ${html ? `HTML (${type})` : type}`;
}

/** A body that starts like JSON: a hint that the content type alone is wrong. */
export const isJsonType = (headers: Record<string, string>): boolean => /\bjson\b/i.test(headers['content-type'] ?? '');

/** The standard headers of the doctor's requests; `agent` replaces the user agent. */
export function baseHeaders(agent = DOCTOR_AGENT): Record<string, string> {
  return { 'user-agent': agent, accept: 'application/json' };
}

export const DOCTOR_AGENT = 'postern-doctor/1';
