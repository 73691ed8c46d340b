// The deployment files, checked with the real tools as far as this machine allows (no container
// engine, no running systemd): the unit with `systemd-analyze verify` and `security`, the compose
// file with docker-compose's config check, the Caddyfile with `caddy validate`.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { runCommand } from './helpers/cli.js';
import { debianTool } from './helpers/debian-tool.js';
import { tempDir } from './helpers/postern.js';

const root = path.resolve(import.meta.dirname, '..');
const deploy = path.join(root, 'deploy');
const DOMAIN = 'mcp.example.com';

describe('deploy/systemd/postern.service', () => {
  const unitFile = path.join(deploy, 'systemd', 'postern.service');
  const skip = debianTool('systemd-analyze', 'systemd');
  const fakeRoot = tempDir('postern-systemd-');
  after(() => rmSync(fakeRoot, { recursive: true, force: true }));

  /** A root holding the system's units, this unit, and a stand-in for the installed command. */
  const prepareRoot = () => {
    const units = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(path.join(d, 'multi-user.target')));
    assert.ok(units, 'the systemd package ships its units');
    cpSync(units, path.join(fakeRoot, 'usr/lib/systemd/system'), { recursive: true, dereference: false, verbatimSymlinks: true });
    mkdirSync(path.join(fakeRoot, 'etc/systemd/system'), { recursive: true });
    cpSync(unitFile, path.join(fakeRoot, 'etc/systemd/system/postern.service'));
    const bin = path.join(fakeRoot, 'usr/local/bin/postern');
    mkdirSync(path.dirname(bin), { recursive: true });
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
  };

  it('is hardened as promised', () => {
    const unit = readFileSync(unitFile, 'utf8');
    for (const line of [
      'DynamicUser=yes',
      'StateDirectory=postern',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'Restart=on-failure',
      'RestartPreventExitStatus=2',
    ]) {
      assert.match(unit, new RegExp(`^${line}$`, 'm'), line);
    }
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/postern serve --config %d\/postern\.yaml$/m);
  });

  it('passes systemd-analyze verify without a warning, and rates as well hardened', { skip }, async () => {
    prepareRoot();
    const verify = await runCommand('systemd-analyze', ['verify', `--root=${fakeRoot}`, 'postern.service']);
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '', 'no warnings');
    const security = await runCommand('systemd-analyze', ['security', '--offline=true', `--root=${fakeRoot}`, '--no-pager', 'postern.service']);
    assert.equal(security.status, 0, security.stderr);
    const exposure = Number(/Overall exposure level for postern\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    assert.ok(exposure <= 2, `exposure ${exposure} (0 = fully locked down, 10 = not at all)`);
  });
});

describe('deploy/compose.yaml and deploy/Caddyfile', () => {
  const home = tempDir('postern-compose-');
  after(() => rmSync(home, { recursive: true, force: true }));
  const env = { HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home, POSTERN_DOMAIN: DOMAIN };

  it('is valid for docker-compose, with Postern reachable only through Caddy', { skip: debianTool('docker-compose', 'docker-compose') }, async () => {
    const res = await runCommand('docker-compose', ['--project-directory', deploy, '-f', path.join(deploy, 'compose.yaml'), 'config'], { env });
    assert.equal(res.status, 0, res.stderr);
    const { services, volumes } = parseYaml(res.stdout);
    assert.equal(services.postern.environment.POSTERN_ISSUER, `https://${DOMAIN}`);
    assert.equal(services.postern.environment.POSTERN_TRUST_PROXY, 'true');
    assert.equal(services.postern.ports, undefined, 'Postern publishes no port of its own');
    assert.ok(existsSync(path.join(services.postern.build.context, services.postern.build.dockerfile)), 'the build finds the Dockerfile');
    assert.ok(services.postern.volumes.some((v: string) => v.startsWith('postern-data:/data')));
    assert.deepEqual(services.caddy.depends_on, { postern: { condition: 'service_healthy' } });
    assert.deepEqual(services.caddy.ports.map((p: { published: number }) => p.published).sort(), [443, 443, 80]);
    assert.ok(volumes['caddy-data'] && volumes['postern-data']);

    const { POSTERN_DOMAIN: _, ...noDomain } = env;
    const missing = await runCommand('docker-compose', ['-f', path.join(deploy, 'compose.yaml'), 'config'], { env: noDomain });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /set POSTERN_DOMAIN to the domain clients use/);
  });

  it('has a Caddyfile that caddy validates and that proxies to Postern unbuffered', { skip: debianTool('caddy', 'caddy') }, async () => {
    const file = path.join(deploy, 'Caddyfile');
    const res = await runCommand('caddy', ['validate', '--adapter', 'caddyfile', '--config', file], { env });
    assert.equal(res.status, 0, res.stderr);
    const adapted = await runCommand('caddy', ['adapt', '--adapter', 'caddyfile', '--config', file], { env });
    assert.equal(adapted.status, 0, adapted.stderr);
    const route = JSON.parse(adapted.stdout).apps.http.servers.srv0.routes[0];
    assert.deepEqual(route.match, [{ host: [DOMAIN] }]);
    const proxy = route.handle[0].routes[0].handle[0];
    assert.equal(proxy.handler, 'reverse_proxy');
    assert.deepEqual(proxy.upstreams, [{ dial: 'postern:8080' }]);
    assert.equal(proxy.flush_interval, -1);
  });
});
