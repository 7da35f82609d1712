#!/usr/bin/env node
// SPDX-License-Identifier: BSD-3-Clause
//
// deploy/kubernetes/*.yaml, offline:
//  1. YAML parsed strictly (duplicate keys, bad syntax are errors);
//  2. every object validated against the Kubernetes API's JSON schemas as
//     the npm package kubernetes-models 4.5.1 ships them (generated from
//     the Kubernetes OpenAPI spec; AJV): types, required fields, enums,
//     formats. Limit: those schemas do not forbid unknown fields, so a
//     misspelt optional field is not caught by this step (the API server
//     reports it with kubectl apply --validate=strict);
//  3. what hsod needs from them, checked against each other: the ConfigMap
//     holds deploy/kubernetes/hsod.ini verbatim (which tests/test_config.c
//     parses with hsod's reader); the paths hsod.ini names are mounted
//     from the right volumes, Secrets as whole directories (a subPath mount
//     never sees an update); Guaranteed QoS with whole CPUs (the static
//     CPU manager pins only those); hugepages requests equal to limits;
//     the SR-IOV resource and the PCIDEVICE_ variable the command uses
//     agree; IPC_LOCK; readiness from /metrics on the --metrics port.
//  4. the check can fail: broken copies must be refused.
// The modules come from deploy/setup.sh's npm ci into /opt/hso-k8s-validate
// (HSO_K8S_VALIDATE overrides). Exit 0, 1, or 77 (skip, reason printed).
//
// usage: node tests/k8s_check.js [SOURCE_ROOT]
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.argv[2] || path.join(__dirname, '..');
const dir = path.join(root, 'deploy', 'kubernetes');
const mods = path.join(process.env.HSO_K8S_VALIDATE || '/opt/hso-k8s-validate', 'node_modules');
let YAML, pkgVersion;
try {
  YAML = require(path.join(mods, 'yaml'));
  pkgVersion = require(path.join(mods, 'kubernetes-models', 'package.json')).version;
} catch (e) {
  console.log(`skip: ${mods}: kubernetes-models or yaml not installed (deploy/setup.sh installs them)`);
  process.exit(77);
}

let failures = 0;
function fail(msg) {
  console.log(`FAIL: ${msg}`);
  failures++;
}

// The model class of apiVersion/kind, or null.
function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
  const sub = group ? path.join(group, version) : version;
  try {
    return require(path.join(mods, 'kubernetes-models', sub))[kind] || null;
  } catch (e) {
    return null;
  }
}

// Schema errors of one object (empty when valid).
function schemaErrors(obj) {
  if (!obj || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string')
    return ['no apiVersion/kind'];
  const Model = modelOf(obj.apiVersion, obj.kind);
  if (!Model)
    return [`${obj.apiVersion} ${obj.kind}: no schema in kubernetes-models ${pkgVersion}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [e.message];
  }
}

function load(file) {
  const text = fs.readFileSync(file, 'utf8');
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, strict: true });
  const out = [];
  for (const d of docs) {
    if (d.errors.length) {
      fail(`${path.basename(file)}: ${d.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const o = d.toJS();
    if (o !== null) out.push(o);
  }
  return out;
}

// ---- 1 and 2: every manifest, every object ----
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const objs = [];
for (const f of files) {
  for (const o of load(path.join(dir, f))) {
    const errs = schemaErrors(o);
    const name = `${f}: ${o.kind} ${o.metadata && o.metadata.name}`;
    if (errs.length) fail(`${name}: ${errs.join('; ')}`);
    else console.log(`ok: ${name} (schema of kubernetes-models ${pkgVersion})`);
    objs.push(o);
  }
}
if (objs.length === 0) fail(`${dir}: no manifests`);
const find = (kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);

// ---- 3: what hsod needs ----
function hsodChecks(ds, cm) {
  const errs = [];
  const ini = fs.readFileSync(path.join(dir, 'hsod.ini'), 'utf8');
  if (!cm || !cm.data || cm.data['hsod.ini'] !== ini)
    errs.push('ConfigMap hsod-config: data hsod.ini differs from deploy/kubernetes/hsod.ini');
  const spec = ds.spec.template.spec;
  const c = (spec.containers || []).find((x) => x.name === 'hsod');
  if (!c) return errs.concat(['DaemonSet: no container named hsod']);
  const req = (c.resources || {}).requests || {}, lim = (c.resources || {}).limits || {};
  for (const r of ['cpu', 'memory', 'hugepages-2Mi'])
    if (req[r] === undefined || String(req[r]) !== String(lim[r]))
      errs.push(`hsod: resources ${r}: requests must equal limits (Guaranteed QoS, hugepages)`);
  if (!/^[1-9][0-9]*$/.test(String(lim.cpu)))
    errs.push(`hsod: cpu limit ${lim.cpu}: whole CPUs, or the static CPU manager shares them`);
  for (const cc of spec.containers)
    for (const r of ['cpu', 'memory']) {
      const rq = ((cc.resources || {}).requests || {})[r], lm = ((cc.resources || {}).limits || {})[r];
      if (rq === undefined || String(rq) !== String(lm))
        errs.push(`${cc.name}: ${r} requests must equal limits in every container (Guaranteed QoS)`);
    }
  const nic = Object.keys(lim).filter((k) => k.includes('/'));
  const cmd = (c.command || []).concat(c.args || []).join(' ');
  if (nic.length !== 1) errs.push(`hsod: one SR-IOV resource in limits (got ${nic})`);
  else {
    const env = 'PCIDEVICE_' + nic[0].toUpperCase().replace(/[./-]/g, '_');
    if (!cmd.includes(`$${env}`)) errs.push(`hsod: the command does not use ${env} (resource ${nic[0]})`);
  }
  const caps = (((c.securityContext || {}).capabilities) || {}).add || [];
  if (!caps.includes('IPC_LOCK')) errs.push('hsod: no IPC_LOCK capability');
  const m = cmd.match(/--metrics\s+\S*:(\d+)/);
  const port = (c.ports || []).find((p) => p.name === 'metrics');
  const probe = (c.readinessProbe || {}).httpGet || {};
  if (!m) errs.push('hsod: no --metrics ADDR:PORT in the command');
  else if (!port || String(port.containerPort) !== m[1])
    errs.push(`hsod: port "metrics" is not --metrics's ${m[1]}`);
  if (probe.path !== '/metrics' || (probe.port !== 'metrics' && String(probe.port) !== (m && m[1])))
    errs.push('hsod: readinessProbe is not an httpGet of /metrics on the metrics port');
  const cfgm = cmd.match(/--config\s+(\S+)/);
  // Every path hsod.ini names (and --config) is under a mount of the right volume.
  const vols = Object.fromEntries((spec.volumes || []).map((v) => [v.name, v]));
  const want = [[cfgm && cfgm[1], 'configMap', 'hsod-config']];
  for (const [k, kind, name] of [['cert', 'secret', 'hso-tls'], ['key', 'secret', 'hso-tls'],
    ['key_file', 'secret', 'hso-ticket-keys']]) {
    const mm = ini.match(new RegExp(`^\\s*${k}\\s*=\\s*(\\S+)`, 'm'));
    want.push([mm && mm[1], kind, name]);
  }
  for (const [p, kind, name] of want) {
    if (!p) { errs.push(`hsod.ini or command: a path is missing (${kind} ${name})`); continue; }
    const mnt = (c.volumeMounts || []).find((vm) => p.startsWith(vm.mountPath + '/'));
    const v = mnt && vols[mnt.name];
    const got = v && (v.secret ? ['secret', v.secret.secretName] :
      v.configMap ? ['configMap', v.configMap.name] : ['other', '']);
    if (!got || got[0] !== kind || got[1] !== name)
      errs.push(`${p}: not under a mount of ${kind} ${name}`);
    else if (mnt.subPath)
      errs.push(`${p}: mounted with subPath, which never sees an update`);
    else if (kind === 'secret' && !find('Secret', name))
      errs.push(`${p}: Secret ${name} is not in the manifests`);
  }
  const hp = (c.volumeMounts || []).find((vm) => vm.mountPath === '/dev/hugepages');
  if (!hp || !vols[hp.name] || !vols[hp.name].emptyDir ||
      !/^HugePages/.test(vols[hp.name].emptyDir.medium || ''))
    errs.push('hsod: /dev/hugepages is not a HugePages emptyDir');
  return errs;
}

const ds = find('DaemonSet', 'hsod');
const cm = find('ConfigMap', 'hsod-config');
if (!ds) fail('no DaemonSet hsod');
else {
  const errs = hsodChecks(ds, cm);
  errs.forEach((e) => fail(e));
  if (!errs.length) console.log('ok: DaemonSet hsod: ConfigMap = hsod.ini, mounts, QoS, hugepages, SR-IOV, IPC_LOCK, /metrics readiness');
}

// ---- 4: broken copies are refused ----
if (ds) {
  const clone = (o) => JSON.parse(JSON.stringify(o));
  const hsodOf = (o) => o.spec.template.spec.containers.find((x) => x.name === 'hsod');
  const broken = [
    ['containerPort as text', (o) => { hsodOf(o).ports[0].containerPort = 'metrics'; }, 'schema'],
    ['no selector', (o) => { delete o.spec.selector; }, 'schema'],
    ['bad restartPolicy', (o) => { o.spec.template.spec.restartPolicy = 'Sometimes'; }, 'schema'],
    ['hugepages limit differs', (o) => { hsodOf(o).resources.limits['hugepages-2Mi'] = '1Gi'; }, 'hsod'],
    ['half a CPU', (o) => { hsodOf(o).resources.requests.cpu = '1500m'; hsodOf(o).resources.limits.cpu = '1500m'; }, 'hsod'],
    ['tickets by subPath', (o) => { hsodOf(o).volumeMounts.find((m) => m.name === 'tickets').subPath = 'ticket.key'; }, 'hsod'],
    ['probe elsewhere', (o) => { hsodOf(o).readinessProbe.httpGet.path = '/'; }, 'hsod'],
  ];
  for (const [what, mutate, kind] of broken) {
    const o = clone(ds);
    mutate(o);
    const errs = kind === 'schema' ? schemaErrors(o) : hsodChecks(o, cm);
    if (!errs.length) fail(`a DaemonSet with ${what} passed the ${kind} check`);
  }
  const cm2 = clone(cm);
  cm2.data['hsod.ini'] += '# drift\n';
  if (!hsodChecks(ds, cm2).length) fail('a ConfigMap that differs from hsod.ini passed');
  console.log(`ok: ${broken.length + 1} broken copies refused`);
}

console.log(failures ? `k8s_check: ${failures} failed` : 'k8s_check: ok');
process.exit(failures ? 1 : 0);
