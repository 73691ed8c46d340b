// The doctor's checklist: each check passes, fails (with the fix) or is skipped (with why), and
// the list is printed as ✓/✗ lines for a person or as JSON for a script.

export type Status = 'pass' | 'fail' | 'skip';

export interface Check {
  id: string;
  title: string;
  status: Status;
  /** What was seen. */
  detail?: string;
  /** For a failure: what to change. */
  fix?: string;
}

export class Report {
  readonly checks: Check[] = [];
  /** Remarks that are no check (e.g. an extra CA trusted), printed before the list. */
  readonly notes: string[] = [];

  /** `ignore`: ids of checks whose failure is not counted (--skip), e.g. `port` on an intranet. */
  constructor(
    readonly url: string,
    private readonly ignore: ReadonlySet<string> = new Set(),
  ) {}

  pass(id: string, title: string, detail?: string): Check {
    return this.add({ id, title, status: 'pass', detail });
  }

  fail(id: string, title: string, detail: string, fix: string): Check {
    return this.add({ id, title, status: 'fail', detail, fix });
  }

  skip(id: string, title: string, detail: string): Check {
    return this.add({ id, title, status: 'skip', detail });
  }

  get failed(): boolean {
    return this.checks.some((c) => c.status === 'fail');
  }

  get(id: string): Check | undefined {
    return this.checks.find((c) => c.id === id);
  }

  private add(check: Check): Check {
    if (check.status === 'fail' && this.ignore.has(check.id)) {
      check = { id: check.id, title: check.title, status: 'skip', detail: `not counted (--skip ${check.id}): ${check.detail}` };
    }
    this.checks.push(check);
    return check;
  }
}

const MARK: Record<Status, string> = { pass: '✓', fail: '✗', skip: '–' };

export function renderText(report: Report): string {
  const lines = [`postern doctor ${report.url}`, ...report.notes.map((n) => `  note: ${n}`), ''];
  for (const check of report.checks) {
    lines.push(`${MARK[check.status]} ${check.title}${check.detail ? ` — ${check.detail}` : ''}`);
    if (check.fix) lines.push(`    fix: ${check.fix}`);
  }
  const count = (s: Status) => report.checks.filter((c) => c.status === s).length;
  lines.push('', `${count('pass')} ✓  ${count('fail')} ✗  ${count('skip')} skipped`);
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: Report): string {
  return `${JSON.stringify({ url: report.url, ok: !report.failed, notes: report.notes, checks: report.checks }, null, 2)}\n`;
}
