// Transport checks: https, a certificate chain the client can verify (read with node:tls, so the
// expiry and issuer can be shown), port 443, and the server's clock against ours (Date header).
import { connect, rootCertificates, type PeerCertificate } from 'node:tls';
import type { DoctorContext } from './context.js';
import type { Answer } from './http.js';

/** A clock further off than this makes token lifetimes (iat, nbf, exp) unreliable. */
export const CLOCK_SKEW_LIMIT_S = 60;

const PROXY_FIX = 'serve it behind a reverse proxy that terminates TLS with a public certificate (README: "Running behind a reverse proxy with HTTPS")';

export async function transportChecks(ctx: DoctorContext): Promise<void> {
  const { url, report } = ctx;
  if (url.protocol !== 'https:') {
    report.fail('https', 'served over https', `the URL is ${url.protocol}//`, `remote clients (Claude.ai, ChatGPT) need an https:// URL: ${PROXY_FIX}`);
    report.skip('certificate', 'certificate chain valid', 'no TLS');
  } else {
    report.pass('https', 'served over https');
    await certificateCheck(ctx);
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (port === '443') report.pass('port', 'on port 443');
  else {
    report.fail(
      'port',
      'on port 443',
      `the URL uses port ${port}`,
      'Claude.ai and ChatGPT connect to the standard https port; publish the server on 443 (a reverse proxy can listen there and forward to this port)',
    );
  }
}

async function certificateCheck(ctx: DoctorContext): Promise<void> {
  const { url, report, prober } = ctx;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  try {
    const result = await new Promise<{ error?: Error | null; cert: PeerCertificate }>((resolve, reject) => {
      const socket = connect({
        host,
        port: Number(url.port || 443),
        servername: /^[\d.]+$|:/.test(host) ? undefined : host,
        ca: prober.ca ? [...rootCertificates, prober.ca] : undefined,
        rejectUnauthorized: false,
        timeout: ctx.options.timeoutMs,
      });
      socket.once('secureConnect', () => {
        const error = socket.authorized ? null : (socket.authorizationError as Error | null);
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve({ error, cert });
      });
      socket.once('timeout', () => {
        socket.destroy();
        reject(new Error('no TLS handshake within the time limit'));
      });
      socket.once('error', reject);
    });
    const until = result.cert.valid_to ? `valid until ${new Date(result.cert.valid_to).toISOString().slice(0, 10)}` : '';
    const issuer = result.cert.issuer?.O ?? result.cert.issuer?.CN;
    if (result.error) {
      report.fail(
        'certificate',
        'certificate chain valid',
        `the certificate does not verify: ${String(result.error)}${issuer ? ` (issuer: ${issuer})` : ''}`,
        'serve the full chain of a certificate from a public CA for this host name (Caddy does it by itself; with nginx use fullchain.pem); for an internal CA pass it with --ca FILE',
      );
    } else {
      report.pass('certificate', 'certificate chain valid', [issuer && `issuer: ${issuer}`, until].filter(Boolean).join(', '));
    }
  } catch (err) {
    report.fail('certificate', 'certificate chain valid', `no TLS connection: ${(err as Error).message}`, 'check that the host answers TLS on this port');
  }
}

/** Compares the Date header of `answer` with the local clock at the middle of the request. */
export function clockCheck(ctx: DoctorContext, answer: Answer | undefined): void {
  const title = `server clock within ${CLOCK_SKEW_LIMIT_S} s of ours`;
  const date = answer?.headers.date;
  const server = date ? Date.parse(date) : NaN;
  if (!answer || Number.isNaN(server)) {
    ctx.report.skip('clock', title, 'no Date header to compare');
    return;
  }
  const local = (answer.sentAt + answer.headersAt) / 2;
  // The Date header has whole seconds; one more second of allowance for that.
  const skew = Math.round((server - local) / 1000);
  if (Math.abs(skew) <= CLOCK_SKEW_LIMIT_S + 1) ctx.report.pass('clock', title, `${skew >= 0 ? '+' : ''}${skew} s`);
  else {
    ctx.report.fail(
      'clock',
      title,
      `the server's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead' : 'behind'}`,
      'run time synchronisation on the server (systemd-timesyncd or chrony); tokens carry issue and expiry times that clients and servers compare',
    );
  }
}
