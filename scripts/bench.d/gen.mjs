// Generators for scripts/bench: a large Docker-shaped ruleset (an
// iptables-restore --noflush payload appended to the chains the lab's own
// Docker daemon made) and a conntrack load file (`conntrack -R FILE`, one
// `-I ...` line per entry). Pure functions plus a small CLI:
//
//   node scripts/bench.d/gen.mjs rules  --bridges 400 --ports 5000 --operator 1000 > rules.txt
//   node scripts/bench.d/gen.mjs flows  --bridges 400 --ports 5000 --flows 100000 --to-ports 0.8 > ct.txt
//
// Shapes follow Docker 20.10's iptables code (what the lab runs): per bridge
// 4 FORWARD rules, one rule in each isolation stage, a nat DOCKER RETURN and
// a POSTROUTING MASQUERADE; per published port a nat DNAT, a filter DOCKER
// ACCEPT and a hairpin MASQUERADE. Operator rules go to DOCKER-USER (on the
// path of every published port) and INPUT. Addresses: bridges 10.100.0.0/24
// upwards, host 198.51.100.1 (the lab's ext0), clients 203.0.113.0/24.
// Everything is deterministic (no randomness), so two runs load the same host.

export const HOST_IP = '198.51.100.1';
export const FIRST_HOST_PORT = 20000;

export function bridgeName(i) {
  return `br-${(0xbe0000000000 + i).toString(16)}`;
}

export function bridgeSubnet(i) {
  return `10.${100 + (i >> 8)}.${i & 255}`;
}

/** Published port n (0-based) of a host with `bridges` bridges: where it lives and where it goes. */
export function port(n, bridges) {
  const b = n % bridges;
  const slot = Math.floor(n / bridges);
  return {
    bridge: bridgeName(b),
    containerIp: `${bridgeSubnet(b)}.${2 + (slot % 250)}`,
    containerPort: 80 + Math.floor(slot / 250),
    hostPort: FIRST_HOST_PORT + n,
    proto: n % 10 === 9 ? 'udp' : 'tcp',
  };
}

/** The iptables-restore --noflush payload: nat then filter. Rule count is returned too. */
export function rulesText({ bridges, ports, operator }) {
  const nat = ['*nat'];
  const filter = ['*filter'];
  let count = 0;
  const add = (arr, line) => {
    arr.push(line);
    count++;
  };
  for (let i = 0; i < bridges; i++) {
    const br = bridgeName(i);
    const net = `${bridgeSubnet(i)}.0/24`;
    add(nat, `-A POSTROUTING -s ${net} ! -o ${br} -j MASQUERADE`);
    add(nat, `-A DOCKER -i ${br} -j RETURN`);
    add(filter, `-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    add(filter, `-A FORWARD -o ${br} -j DOCKER`);
    add(filter, `-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`);
    add(filter, `-A FORWARD -i ${br} -o ${br} -j ACCEPT`);
    // The isolation chains end in Docker's own RETURN: insert before it.
    add(filter, `-I DOCKER-ISOLATION-STAGE-1 1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`);
    add(filter, `-I DOCKER-ISOLATION-STAGE-2 1 -o ${br} -j DROP`);
  }
  for (let n = 0; n < ports; n++) {
    const p = port(n, bridges);
    const m = `-p ${p.proto} -m ${p.proto} --dport`;
    add(nat, `-A DOCKER ! -i ${p.bridge} ${m} ${p.hostPort} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`);
    add(nat, `-A POSTROUTING -s ${p.containerIp}/32 -d ${p.containerIp}/32 ${m} ${p.containerPort} -j MASQUERADE`);
    add(filter, `-A DOCKER -d ${p.containerIp}/32 ! -i ${p.bridge} -o ${p.bridge} ${m} ${p.containerPort} -j ACCEPT`);
  }
  // Operator rules: half a blocklist in DOCKER-USER (before its RETURN), half in INPUT.
  for (let k = 0; k < operator; k++) {
    const src = `192.0.2.${k % 256}/32`;
    if (k % 2 === 0) add(filter, `-I DOCKER-USER 1 -s ${src} -p tcp -m tcp --dport ${FIRST_HOST_PORT + (k % Math.max(1, ports))} -j DROP`);
    else add(filter, `-A INPUT -s ${src} -p tcp -m tcp --dport ${1000 + k} -j DROP`);
  }
  nat.push('COMMIT');
  filter.push('COMMIT');
  return { text: `${nat.join('\n')}\n${filter.join('\n')}\n`, count };
}

/**
 * The conntrack load file: `flows` entries, a share `toPorts` of them
 * DNATed to published ports (original dst = the host, reply from the
 * container), the rest container traffic going out through masquerade.
 */
export function flowsText({ bridges, ports, flows, toPorts }) {
  const lines = [];
  const nPorts = Math.max(1, ports);
  const toPortCount = Math.round(flows * toPorts);
  for (let k = 0; k < flows; k++) {
    const client = `203.0.113.${1 + (k % 254)}`;
    const sport = 1024 + (Math.floor(k / 254) % 64000);
    if (k < toPortCount) {
      const p = port(k % nPorts, bridges);
      const extra = p.proto === 'tcp' ? ' --state ESTABLISHED' : '';
      lines.push(
        `-I -p ${p.proto} -s ${client} -d ${HOST_IP} --sport ${sport} --dport ${p.hostPort} -r ${p.containerIp} -q ${client} --reply-port-src ${p.containerPort} --reply-port-dst ${sport}${extra} -t 600 -u SEEN_REPLY,ASSURED`,
      );
    } else {
      const p = port(k % nPorts, bridges);
      lines.push(
        `-I -p tcp -s ${p.containerIp} -d ${client} --sport ${sport} --dport 443 -r ${client} -q ${HOST_IP} --reply-port-src 443 --reply-port-dst ${sport} --state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function arg(argv, name, def) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : def;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [what, ...rest] = process.argv.slice(2);
  const bridges = arg(rest, 'bridges', 400);
  const ports = arg(rest, 'ports', 5000);
  if (what === 'rules') process.stdout.write(rulesText({ bridges, ports, operator: arg(rest, 'operator', 1000) }).text);
  else if (what === 'flows') process.stdout.write(flowsText({ bridges, ports, flows: arg(rest, 'flows', 100000), toPorts: arg(rest, 'to-ports', 0.8) }));
  else {
    process.stderr.write('usage: gen.mjs rules|flows [--bridges N] [--ports N] [--operator N] [--flows N] [--to-ports F]\n');
    process.exit(2);
  }
}
