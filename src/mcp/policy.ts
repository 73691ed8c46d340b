// Tool policy: ordered rules `{ roles?, clients?, tools, policy }` decide what a caller may list
// and call. The first rule whose roles, clients and tool patterns all match decides; with rules
// configured, anything no rule allows is denied; with none, everything is allowed. The same
// evaluator gates every caller, whatever proved it (JWT, static token, …). It lives with the MCP
// face, which applies it to lists and calls; the guard only says who the caller is. A tool Postern
// lists under another name than `<backend>__<name>` (names.ts) is judged by both names.
import type { Config } from '../config/schema.js';
import { globToRegExp } from '../config/glob.js';

type Rule = Config['policy']['rules'][number];

const matchesName = (patterns: RegExp[], name: string, alias: string | undefined) =>
  patterns.some((p) => p.test(name) || (alias !== undefined && p.test(alias)));

/** Does a name (or its alias) match one of `include` and none of `exclude`? */
export function patternsAdmit(include: RegExp[], exclude: RegExp[], name: string, alias?: string): boolean {
  return matchesName(include, name, alias) && !matchesName(exclude, name, alias);
}

interface CompiledRule {
  roles?: Set<string>;
  clients?: RegExp[];
  include: RegExp[];
  exclude: RegExp[];
  allow: boolean;
}

export class ToolPolicy {
  private readonly rules: CompiledRule[];

  constructor(rules: Rule[]) {
    this.rules = rules.map((r) => ({
      roles: r.roles ? new Set(r.roles) : undefined,
      clients: r.clients?.map(globToRegExp),
      include: r.tools.filter((t) => !t.startsWith('!')).map(globToRegExp),
      exclude: r.tools.filter((t) => t.startsWith('!')).map((t) => globToRegExp(t.slice(1))),
      allow: r.policy === 'allow',
    }));
  }

  get hasRules(): boolean {
    return this.rules.length > 0;
  }

  /**
   * May `caller` use the tool (or prompt) with this qualified name (`<backend>__<name>`) and, when
   * it is listed under another name, this alias? A pattern matching either name applies.
   */
  allows(caller: { roles: string[]; clientId: string } | undefined, name: string, alias?: string): boolean {
    if (!this.hasRules) return true;
    if (!caller) return false;
    for (const rule of this.rules) {
      if (rule.roles && !caller.roles.some((r) => rule.roles!.has(r))) continue;
      if (rule.clients && !rule.clients.some((c) => c.test(caller.clientId))) continue;
      if (!patternsAdmit(rule.include, rule.exclude, name, alias)) continue;
      return rule.allow;
    }
    return false;
  }
}
