// The login and consent steps of /authorize ("interactions" in oidc-provider's words):
// GET /interaction/:uid shows the page for the current prompt; POST …/login signs in, POST
// …/confirm grants the requested scopes, POST …/abort denies. Every form carries a CSRF token.
// The identity sources bring their own steps, buttons and routes (identity/sign-in.ts); this
// router knows none of them by name.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { Logger } from 'pino';
import type { IdentitySources } from '../identity/sources.js';
import { isInteractive, type InteractiveSource, type SignInRoute, type StepContext } from '../identity/sign-in.js';
import { IdentityError, type Principal } from '../identity/types.js';
import type { Csrf } from './csrf.js';
import type { LoginLimits } from './login-limits.js';
import type { Audit } from '../audit/trail.js';
import { FormError, readForm } from './forms.js';
import { consentPage, loginPage } from './pages.js';
import { errorPage } from '../pages/html.js';
import { clientTitle, clientView } from './client-view.js';
import { pageHeaders } from '../pages/headers.js';
import { ACCOUNT_CLIENT_ID } from './page-session.js';
import { nowSeconds } from '../store/types.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface InteractionDeps {
  provider: Provider;
  identity: IdentitySources;
  limits: LoginLimits;
  audit: Audit;
  csrf: Csrf;
  log: Logger;
}

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/([a-z-]{1,32}))?$/;
/** The method each of the router's own steps answers to; the page itself is GET. */
const METHODS: Record<string, string> = {
  '': 'GET',
  login: 'POST',
  confirm: 'POST',
  abort: 'POST',
};

/**
 * Stores the consent step's result on the interaction and sends the browser back to the
 * authorization endpoint: provider.interactionFinished without loading the interaction and the
 * session a second time, which this request did moments before in interactionDetails (nothing slow
 * runs in between, and the authorization endpoint checks the session again when it resumes).
 * Sign-in steps keep interactionFinished: an identity source may take seconds, and its check of
 * the session at the end is the one that counts.
 */
async function finish(res: ServerResponse, details: Details, result: InteractionResults, mergeWithLastSubmission: boolean): Promise<void> {
  details.result = mergeWithLastSubmission && !('error' in result) ? { ...details.lastSubmission, ...result } : result;
  await details.save(details.exp - nowSeconds());
  res.writeHead(303, { location: details.returnTo, 'content-length': '0' });
  res.end();
}

function send(res: ServerResponse, status: number, html: string, formTargets: string[] = []): void {
  res.writeHead(status, { ...pageHeaders(formTargets), 'content-type': 'text/html; charset=utf-8' });
  res.end(html);
}

/** Origins (or app schemes) the browser may be redirected to after a form post. */
function formTarget(redirectUri: unknown): string[] {
  const url = typeof redirectUri === 'string' ? URL.parse(redirectUri) : null;
  if (!url) return [];
  return [url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol];
}

export function createInteractionHandler(deps: InteractionDeps) {
  const { provider, identity, csrf, log, limits, audit } = deps;
  /** Records an OAuth event in the audit trail (which also logs it). */
  const event = audit.oauth.bind(audit);
  const interactive = identity.sources.filter(isInteractive);
  const steps = new Map(interactive.flatMap((source) => (source.steps ?? []).map((step) => [step.name, { ...step, source }] as const)));
  const routes = new Map<string, SignInRoute>(interactive.flatMap((s) => s.routes ?? []).map((route) => [route.path, route]));
  const loginFormTargets = interactive.flatMap((s) => s.formTargets ?? []);
  /** Is there a way in besides `source`: a password form or another source's button? */
  const otherWaysIn = (source: InteractiveSource) => identity.hasPasswordSources || interactive.some((s) => s !== source && s.loginButtons);
  const fail = (res: ServerResponse) => (status: number, title: string, message: string, detail?: string) =>
    send(res, status, errorPage(title, message, detail));

  function requestedScopes(details: Details): string[] {
    const d = details.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const scopes = new Set<string>(d.missingOIDCScope ?? []);
    for (const list of Object.values(d.missingResourceScopes ?? {})) for (const s of list) scopes.add(s);
    return [...scopes];
  }

  async function show(req: IncomingMessage, res: ServerResponse, details: Details, error?: string, username?: string, status?: number) {
    const client = await clientView(provider, details.params);
    const base = `/interaction/${details.uid}`;
    const token = csrf.token(details.uid);
    const targets = formTarget(details.params.redirect_uri);
    if (details.prompt.name === 'login') {
      targets.push(...loginFormTargets);
      send(
        res,
        status ?? (error ? 401 : 200),
        loginPage({
          action: `${base}/login`,
          csrf: token,
          client,
          error,
          username,
          accepts: identity.passwordLabels,
          buttons: interactive.flatMap((s) => s.loginButtons?.(base, token) ?? []),
          passwordForm: identity.hasPasswordSources,
        }),
        targets,
      );
      return;
    }
    if (details.prompt.name === 'consent') {
      if (details.params.client_id === ACCOUNT_CLIENT_ID) {
        // Postern's own account page needs no consent: it only learns who is signed in.
        await confirm(req, res, details);
        return;
      }
      const principal = await identity.findAccount(details.session?.accountId);
      send(
        res,
        200,
        consentPage({
          action: `${base}/confirm`,
          abortAction: `${base}/abort`,
          csrf: token,
          client,
          user: principal?.displayName ?? details.session?.accountId ?? '',
          scopes: requestedScopes(details),
          resource: typeof details.params.resource === 'string' ? details.params.resource : undefined,
        }),
        targets,
      );
      return;
    }
    send(res, 400, errorPage('Unsupported step', `This server cannot complete the "${details.prompt.name}" step.`));
  }

  async function login(req: IncomingMessage, res: ServerResponse, details: Details, form: URLSearchParams) {
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    if (!username || !password) {
      await show(req, res, details, 'Enter your username and password.', username);
      return;
    }
    const address = limits.address(req);
    // The attempt is counted before the password is tried: a burst sent at once gets no more tries than one sent in turn.
    const wait = await limits.reserve(username, address);
    if (wait > 0) {
      event('login_rate_limited', false, { subject: username, client: details.params.client_id, detail: address });
      res.setHeader('retry-after', String(wait));
      await show(req, res, details, `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`, username, 429);
      return;
    }
    const verified = await fromSource(req, res, details, () => identity.verifyPassword(username, password), username);
    if (!verified) {
      await limits.unanswered(username, address);
      return;
    }
    const principal = verified.value;
    if (principal) {
      await limits.succeeded(username, address);
      await signedIn(req, res, details, principal, 'password');
      return;
    }
    event('login_failed', false, { subject: username, client: details.params.client_id, detail: address });
    await show(req, res, details, 'Wrong username or password.', username);
  }

  /**
   * Runs a call to an identity source. When the source is unreachable (IdentityError) the login
   * form is shown again with the reason and status 503, and the result is undefined.
   */
  async function fromSource<T>(req: IncomingMessage, res: ServerResponse, details: Details, call: () => Promise<T>, username?: string) {
    try {
      return { value: await call() };
    } catch (err) {
      if (!(err instanceof IdentityError)) throw err;
      log.warn({ event: 'login_error', username, err: err.message }, 'identity source failed');
      await show(req, res, details, `Sign-in is unavailable right now: ${err.message}.`, username, 503);
      return undefined;
    }
  }

  /** What a source's step or look at the request works with (identity/sign-in.ts). */
  function stepContext(req: IncomingMessage, res: ServerResponse, details: Details, source: InteractiveSource, form?: URLSearchParams): StepContext {
    const clientId = details.params.client_id;
    return {
      req,
      res,
      uid: details.uid,
      address: limits.address(req),
      clientId: typeof clientId === 'string' ? clientId : undefined,
      form,
      otherWaysIn: otherWaysIn(source),
      signedIn: (principal: Principal, via: string) => signedIn(req, res, details, principal, via),
      refused: (detail) => event('login_failed', false, { client: clientId, detail }),
      showLogin: (error, status = 401) => show(req, res, details, error, undefined, status),
      attempt: (call) => fromSource(req, res, details, call),
      page: async (status, html) => send(res, status, html),
      fail: fail(res),
      clientName: async () => clientTitle(await clientView(provider, details.params)),
    };
  }

  async function signedIn(req: IncomingMessage, res: ServerResponse, details: Details, principal: Principal, via: string) {
    event('login', true, { subject: principal.subject, client: details.params.client_id, detail: via });
    await provider.interactionFinished(req, res, { login: { accountId: principal.subject } }, { mergeWithLastSubmission: false });
  }

  /** The login page, unless a source answers first (a trusted proxy's headers). */
  async function loginPrompt(req: IncomingMessage, res: ServerResponse, details: Details) {
    for (const source of interactive) {
      if (source.beforeLoginPage && (await source.beforeLoginPage(stepContext(req, res, details, source)))) return;
    }
    await show(req, res, details);
  }

  async function confirm(_req: IncomingMessage, res: ServerResponse, details: Details) {
    if (details.prompt.name !== 'consent' || !details.session?.accountId) {
      send(res, 400, errorPage('Nothing to confirm', 'Sign in first, then allow access.'));
      return;
    }
    const { params, session } = details;
    const d = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
    if (!grant) {
      send(res, 400, errorPage('Sign-in expired', 'The authorization for this request is gone.'));
      return;
    }
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    event('consent', true, { subject: session.accountId, client: params.client_id });
    await finish(res, details, { consent: { grantId } }, true);
  }

  async function abort(_req: IncomingMessage, res: ServerResponse, details: Details) {
    event('consent_denied', false, { subject: details.session?.accountId, client: details.params.client_id });
    await finish(res, details, { error: 'access_denied', error_description: 'The user denied the request.' }, false);
  }

  /** Handles the request when it belongs to the interaction routes; returns false otherwise. */
  return async function handleInteraction(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const route = routes.get(pathname);
    if (route) {
      route.handle(req, res, fail(res));
      return true;
    }
    const match = ROUTE.exec(pathname);
    if (!match) return false;
    const [, uid, action = ''] = match;
    const step = steps.get(action);
    const expected = METHODS[action] ?? step?.method;
    if (!expected) return false;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (method !== expected) {
      res.setHeader('allow', expected);
      send(res, 405, errorPage('Method not allowed', `Use ${expected} here.`));
      return true;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
      if (!action) {
        if (details.prompt.name === 'login') await loginPrompt(req, res, details);
        else await show(req, res, details);
        return true;
      }
      const form = expected === 'POST' ? await readForm(req) : undefined;
      if (form && !csrf.check(uid, form.get('csrf'))) {
        send(res, 403, errorPage('Form expired', 'This form is not valid any more (CSRF check failed).'));
        return true;
      }
      if ((step || action === 'login') && details.prompt.name !== 'login') {
        send(res, 400, errorPage('Already signed in', 'This step of the sign-in is already done.'));
      } else if (step) await step.handle(stepContext(req, res, details, step.source, form));
      else if (action === 'login') await login(req, res, details, form!);
      else if (action === 'confirm') await confirm(req, res, details);
      else await abort(req, res, details);
    } catch (err) {
      if (res.headersSent) {
        if (!(err instanceof FormError)) log.error({ err }, 'interaction failed after the response started');
        res.destroy();
      } else if (err instanceof FormError) {
        send(res, err.status, errorPage('Bad request', err.message));
      } else if (err instanceof errors.SessionNotFound || err instanceof errors.InvalidRequest) {
        send(
          res,
          400,
          errorPage(
            'Sign-in expired',
            'This sign-in link has expired or was opened in another browser.',
            'The sign-in must finish in the browser window where it started, within an hour.',
          ),
        );
      } else {
        log.error({ err }, 'interaction failed');
        send(res, 500, errorPage('Something went wrong', 'The sign-in could not be completed.'));
      }
    }
    return true;
  };
}
