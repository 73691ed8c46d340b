// --register: registers a throwaway client as Claude.ai would (public client, its callback URL),
// then removes it through RFC 7592 when the server offers that; when it does not, says so and
// names the client left behind.
import { baseHeaders, jsonObject, shapeOf, type DoctorContext } from './context.js';
import { describeFailure } from './http.js';

export const DOCTOR_CLIENT = {
  client_name: 'postern doctor (throwaway)',
  redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};

export async function registrationChecks(ctx: DoctorContext): Promise<void> {
  const title = 'dynamic registration of a client as Claude.ai registers';
  const endpoint = ctx.as?.registration_endpoint;
  if (typeof endpoint !== 'string') {
    ctx.report.skip('register', title, ctx.as ? 'the server offers no registration endpoint' : 'no authorization-server metadata');
    return;
  }
  let client: Record<string, unknown> | undefined;
  try {
    const answer = await ctx.prober.send(endpoint, {
      method: 'POST',
      headers: { ...baseHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify(DOCTOR_CLIENT),
    });
    client = answer.status === 201 || answer.status === 200 ? jsonObject(answer.text) : undefined;
    if (!client || typeof client.client_id !== 'string') {
      const error = jsonObject(answer.text);
      const why = error?.error ? `${error.error}: ${String(error.error_description ?? '')}` : shapeOf(answer);
      ctx.report.fail(
        'register',
        title,
        `${answer.status} ${why}`,
        'allow public clients (token_endpoint_auth_method "none") with https redirect URIs such as https://claude.ai/api/mcp/auth_callback; if registration is closed on purpose, pre-register the clients you use',
      );
      return;
    }
  } catch (err) {
    ctx.report.fail('register', title, describeFailure(err), 'the registration endpoint must answer POST requests');
    return;
  }
  ctx.report.pass('register', title, `client_id ${client.client_id}`);
  await removeClient(ctx, client);
}

async function removeClient(ctx: DoctorContext, client: Record<string, unknown>): Promise<void> {
  const title = 'the throwaway client removed';
  const uri = client.registration_client_uri;
  const token = client.registration_access_token;
  if (typeof uri !== 'string' || typeof token !== 'string') {
    ctx.report.skip(
      'unregister',
      title,
      `the server offers no way to remove it (no RFC 7592 registration_client_uri and registration_access_token); client ${String(client.client_id)} stays until the server deletes it (Postern deletes clients that never got a token after auth.registration.unfinishedClientTtl, 24 h by default)`,
    );
    return;
  }
  try {
    const answer = await ctx.prober.send(uri, { method: 'DELETE', headers: { ...baseHeaders(), authorization: `Bearer ${token}` } });
    if (answer.status === 204 || answer.status === 200) ctx.report.pass('unregister', title, `client ${String(client.client_id)} deleted`);
    else
      ctx.report.fail(
        'unregister',
        title,
        `DELETE ${uri} answered ${answer.status}`,
        'RFC 7592: DELETE on registration_client_uri with the registration access token should answer 204',
      );
  } catch (err) {
    ctx.report.fail(
      'unregister',
      title,
      describeFailure(err),
      'RFC 7592: DELETE on registration_client_uri with the registration access token should answer 204',
    );
  }
}
